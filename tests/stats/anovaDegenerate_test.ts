import assert from "node:assert/strict";
import {
  mainEffectsAnova,
  type Observation,
  oneWayAnova,
  StatsInputError,
} from "../../src/stats/mod.ts";
import { assertClose } from "./_helpers.ts";

const obs = (levels: Record<string, string>, y: number): Observation => ({ levels, y });

Deno.test("oneWayAnova() gives NaN F and p with a note for a factor with one level", () => {
  const table = oneWayAnova([obs({ g: "a" }, 1), obs({ g: "a" }, 3)], "g");
  const r = table.rows[0]!;
  assert.equal(r.df, 0);
  assert.equal(r.ss, 0);
  assert.ok(Number.isNaN(r.f) && Number.isNaN(r.p));
  assert.equal(table.residual.df, 1);
  assertClose(table.residual.ss, 2, { atol: 1e-14 }, "SS_within");
  assert.match(table.notes!.join("\n"), /factor "g" has a single observed level \("a"\)/);
});

Deno.test("oneWayAnova() gives NaN F and p with a note at zero residual df", () => {
  const table = oneWayAnova([obs({ g: "a" }, 1), obs({ g: "b" }, 4), obs({ g: "c" }, 2)], "g");
  assert.equal(table.residual.df, 0);
  assert.ok(Number.isNaN(table.residual.ms));
  const r = table.rows[0]!;
  assert.equal(r.df, 2);
  assertClose(r.ss, 14 / 3, { atol: 1e-14 }, "SS_between = SS_total");
  assert.ok(Number.isNaN(r.f) && Number.isNaN(r.p));
  assert.match(table.notes!.join("\n"), /zero residual degrees of freedom/);
});

Deno.test("oneWayAnova() gives F = ∞ and p = 0 for an exact fit with residual df", () => {
  const data = [obs({ g: "a" }, 1), obs({ g: "a" }, 1), obs({ g: "b" }, 5), obs({ g: "b" }, 5)];
  const table = oneWayAnova(data, "g");
  assert.equal(table.residual.ss, 0);
  assert.equal(table.rows[0]!.f, Number.POSITIVE_INFINITY);
  assert.equal(table.rows[0]!.p, 0);
  assert.match(table.notes!.join("\n"), /residual SS is 0/);
});

Deno.test("oneWayAnova() gives NaN F for a constant response", () => {
  const data = [obs({ g: "a" }, 2), obs({ g: "a" }, 2), obs({ g: "b" }, 2), obs({ g: "b" }, 2)];
  const r = oneWayAnova(data, "g").rows[0]!;
  assert.equal(r.ss, 0);
  assert.ok(Number.isNaN(r.f) && Number.isNaN(r.p));
});

Deno.test("mainEffectsAnova() reports a fully aliased factor with df 0 and a note", () => {
  // B is A under other names: neither adds anything beyond the other (Type II SS 0, df 0).
  const data = [1, 2, 3, 4, 5, 6].map((y, i) =>
    obs({ A: i < 3 ? "x" : "y", B: i < 3 ? "p" : "q", C: i % 2 === 0 ? "u" : "v" }, y)
  );
  const table = mainEffectsAnova(data, ["A", "B", "C"]);
  for (const factor of ["A", "B"]) {
    const r = table.rows.find((row) => row.factor === factor)!;
    assert.equal(r.df, 0, `df of ${factor}`);
    assert.equal(r.ss, 0, `SS of ${factor}`);
    assert.ok(Number.isNaN(r.f) && Number.isNaN(r.p), `F, p of ${factor}`);
  }
  const c = table.rows[0]!;
  assert.equal(c.factor, "C", "the estimable factor sorts first, NaN rows last");
  assert.equal(c.df, 1);
  assert.ok(c.p >= 0 && c.p <= 1);
  assert.equal(table.residual.df, 6 - 3);
  assert.match(table.notes!.join("\n"), /factor "A" is aliased with the other factors/);
  assert.match(table.notes!.join("\n"), /factor "B" is aliased/);
});

Deno.test("mainEffectsAnova() notes a partly aliased factor and keeps its estimable df", () => {
  // B's level "r" occurs only where A = "z": the contrast r vs p is aliased with A's z contrast.
  const rows: [string, string, number][] = [
    ["x", "p", 1],
    ["x", "q", 2],
    ["y", "p", 3],
    ["y", "q", 5],
    ["x", "p", 1.5],
    ["y", "q", 4],
    ["z", "r", 9],
    ["z", "r", 8],
  ];
  const table = mainEffectsAnova(rows.map(([a, b, y]) => obs({ A: a, B: b }, y)), ["A", "B"]);
  const b = table.rows.find((r) => r.factor === "B")!;
  const a = table.rows.find((r) => r.factor === "A")!;
  assert.equal(b.df, 1, "one of B's two contrasts is estimable beyond A");
  assert.equal(a.df, 1, "one of A's two contrasts is estimable beyond B");
  assert.equal(table.residual.df, 8 - 4);
  assert.match(table.notes!.join("\n"), /factor "B" is partly aliased .*1 of its 2 contrasts/);
});

Deno.test("mainEffectsAnova() and oneWayAnova() reject malformed input naming the field", () => {
  assert.throws(() => oneWayAnova([], "g"), /no observations/);
  assert.throws(() => mainEffectsAnova([obs({ a: "x" }, 1)], []), /no factors given/);
  assert.throws(
    () => mainEffectsAnova([obs({ a: "x" }, 1)], ["a", "a"]),
    /factor "a" given twice/,
  );
  assert.throws(
    () => oneWayAnova([obs({ a: "x" }, 1), obs({ b: "y" }, 2)], "a"),
    /observation 1 has no level \(string\) for factor "a" \(its factors: "b"\)/,
  );
  assert.throws(
    () => oneWayAnova([obs({ a: "x" }, 1), obs({ a: "y" }, Number.NaN)], "a"),
    /observation 1 has response NaN/,
  );
  assert.throws(() => oneWayAnova([obs({ a: "x" }, Infinity)], "a"), StatsInputError);
});
