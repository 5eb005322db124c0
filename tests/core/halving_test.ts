/** Successive halving's pure rules: how many arms each rung keeps, the ranking, the overrides. */
import assert from "node:assert/strict";
import {
  armsPerRung,
  budgetWork,
  keepCount,
  metricOf,
  rankRung,
  takeHalvingOverrides,
} from "../../src/core/halving.ts";

Deno.test("keepCount() keeps ⌈n · keep⌉ arms, at least one, exactly at fractions like 1/3", () => {
  assert.equal(keepCount(9, 1 / 3), 3);
  assert.equal(keepCount(44, 1 / 3), 15);
  assert.equal(keepCount(15, 1 / 3), 5);
  assert.equal(keepCount(6, 1 / 2), 3);
  assert.equal(keepCount(2, 0.1), 1);
  assert.equal(keepCount(5, 1), 5);
  assert.equal(keepCount(0, 0.5), 0);
});

Deno.test("armsPerRung() and budgetWork() count the arms alive and the budget each rung adds", () => {
  assert.deepEqual(armsPerRung(44, 3, 1 / 3), [44, 15, 5]);
  // 44·25 + 15·(50 − 25) + 5·(100 − 50) against 44·100
  assert.deepEqual(budgetWork(44, { rungs: [25, 50, 100], keep: 1 / 3 }), {
    counts: [44, 15, 5],
    withHalving: 1100 + 375 + 250,
    without: 4400,
  });
});

Deno.test("rankRung() ranks by the replicate mean, non-finite last, ties in sweep order", () => {
  const ranked = rankRung(
    [
      { arm: "a", values: [2, 4] }, // mean 3
      { arm: "b", values: [1, null] }, // a missing seed: not finite
      { arm: "c", values: [3, 3] }, // ties a: a was declared first
      { arm: "d", values: [NaN] },
      { arm: "e", values: [0.5, 1.5] }, // mean 1: best
    ],
    "min",
    2,
  );
  assert.deepEqual(ranked.map((r) => [r.arm, r.rank, r.score, r.continues]), [
    ["e", 1, 1, true],
    ["a", 2, 3, true],
    ["c", 3, 3, false],
    ["b", 4, null, false],
    ["d", 5, null, false],
  ]);
  const max = rankRung([{ arm: "x", values: [1] }, { arm: "y", values: [2] }], "max", 1);
  assert.deepEqual(max.map((r) => [r.arm, r.continues]), [["y", true], ["x", false]]);
  assert.deepEqual(rankRung([{ arm: "x", values: [Infinity] }], "max", 1)[0]!.score, null);
});

Deno.test("metricOf() reads a numeric field by path and nothing else", () => {
  assert.equal(metricOf({ eval: { mse: 0.5 } }, ["eval", "mse"]), 0.5);
  assert.equal(metricOf({ mse: "0.5" }, ["mse"]), null);
  assert.equal(metricOf(null, ["mse"]), null);
  assert.equal(metricOf({ a: 1 }, ["a", "b"]), null);
});

Deno.test("takeHalvingOverrides() takes halving=off, fields, fractions and --extend out of -p", () => {
  const o = takeHalvingOverrides([
    "steps=3",
    "halving.keep=1/3",
    "halving.rungs=[10,20]",
    "halving.extend=lr=0.1",
    "halving.mode=max",
  ]);
  assert.deepEqual(o.rest, ["steps=3"]);
  assert.deepEqual(o.fields, { keep: 1 / 3, rungs: [10, 20], mode: "max" });
  assert.deepEqual(o.extend, ["lr=0.1"]);
  assert.equal(o.off, false);
  assert.deepEqual(o.errors, []);
  assert.equal(takeHalvingOverrides(["halving=off"]).off, true);
  const bad = takeHalvingOverrides(["halving.kep=1", "halving=on"]);
  assert.match(bad.errors[0]!, /no field "kep"; known: metric, mode, rungs, keep, budget/);
  assert.match(bad.errors[1]!, /only "halving=off"/);
});
