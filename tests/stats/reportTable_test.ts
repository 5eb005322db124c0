import assert from "node:assert/strict";
import { anovaReportTable, type AnovaTable } from "../../src/stats/mod.ts";

Deno.test("anovaReportTable() writes rows by F, a residual row, and null for NaN", () => {
  const anova: AnovaTable = {
    rows: [
      { factor: "input", df: 9, ss: 30, ms: 10 / 3, f: 12.3, p: 1e-4 },
      { factor: "scale", df: 0, ss: 0, ms: Number.NaN, f: Number.NaN, p: Number.NaN },
    ],
    residual: { df: 20, ss: 5.4, ms: 0.27 },
    n: 30,
    notes: ['factor "scale" has a single observed level'],
  };
  const t = anovaReportTable(anova, "anova", "ANOVA of target MSE", "Type II SS");
  assert.deepEqual(t.columns, ["factor", "df", "SS", "MS", "F", "p"]);
  assert.deepEqual(t.rows, [
    ["input", 9, 30, 10 / 3, 12.3, 1e-4],
    ["scale", 0, 0, null, null, null],
    ["residual", 20, 5.4, 0.27, null, null],
  ]);
  assert.equal(t.note, 'Type II SS; n = 30; factor "scale" has a single observed level');
  // The cells survive JSON (NaN would have become null silently, ∞ too).
  assert.deepEqual(JSON.parse(JSON.stringify({ tables: [t] })).tables[0].rows, t.rows);
});

Deno.test("anovaReportTable() shows an infinite F as ∞ and keeps p = 0", () => {
  const anova: AnovaTable = {
    rows: [{ factor: "g", df: 1, ss: 16, ms: 16, f: Number.POSITIVE_INFINITY, p: 0 }],
    residual: { df: 2, ss: 0, ms: 0 },
    n: 4,
  };
  const t = anovaReportTable(anova, "a", "t");
  assert.deepEqual(t.rows[0], ["g", 1, 16, 16, "∞", 0]);
  assert.equal(t.note, "n = 4");
});
