import assert from "node:assert/strict";
import { formatIntervalCell, intervalCell } from "../../src/stats/mod.ts";
import { parseTables, renderTable } from "../../src/report/tables.ts";
import { assertClose } from "./_helpers.ts";

Deno.test("intervalCell() keeps every seed's value next to mean ± t·s/√n", () => {
  const c = intervalCell(new Map([[2, 3], [0, 1], [1, 2], [3, NaN]]))!;
  assert.deepEqual(c.seeds, [0, 1, 2]);
  assert.deepEqual(c.values, [1, 2, 3]);
  assert.equal(c.n, 3);
  assertClose(
    c.halfWidth!,
    0.95 / Math.sqrt(2 * 0.975 * 0.025) / Math.sqrt(3),
    { rtol: 1e-9 },
    "hw",
  );
  assert.equal(formatIntervalCell(c), "2 ± 2.5 (n = 3)");
  const one = intervalCell(new Map([[0, 0.25]]))!;
  assert.equal(one.halfWidth, null);
  assert.equal(formatIntervalCell(one), "0.25 (n = 1)");
  assert.equal(intervalCell(new Map([[0, Infinity]])), null);
});

Deno.test("parseTables() accepts interval cells and renderTable() prints them with the seeds' values", () => {
  const cell = intervalCell(new Map([[0, 1], [1, 2], [2, 3]]))!;
  const parsed = parseTables(JSON.stringify({
    tables: [{ id: "t", title: "T", columns: ["arm", "final"], rows: [["a", cell]] }],
  }));
  assert.ok(parsed.ok);
  const html = renderTable(parsed.tables[0]!);
  assert.match(
    html,
    /<td class="num" title="seed 0: 1\nseed 1: 2\nseed 2: 3">2 ± 2\.5 \(n = 3\)<\/td>/,
  );
  const bad = parseTables(JSON.stringify({
    tables: [{ id: "t", title: "T", columns: ["x"], rows: [[{ mean: 1 }]] }],
  }));
  assert.ok(!bad.ok);
});
