import assert from "node:assert/strict";
import {
  allOf,
  formatMeanInterval,
  meanInterval,
  pairedVerdict,
  StatsInputError,
} from "../../src/stats/mod.ts";
import { assertClose } from "./_helpers.ts";

// t_{0.975, 2} in closed form: (2p − 1)/√(2p(1 − p)) at p = 0.975
const T975_2 = 0.95 / Math.sqrt(2 * 0.975 * 0.025);
const seeds = (...xs: number[]) => new Map(xs.map((x, i) => [i, x]));

Deno.test("meanInterval() is mean ± t_{0.975,n−1}·s/√n", () => {
  const ci = meanInterval([1, 2, 3]);
  assert.equal(ci.n, 3);
  assertClose(ci.mean, 2, { atol: 1e-15 }, "mean");
  assertClose(ci.sd, 1, { atol: 1e-15 }, "sd");
  assertClose(ci.halfWidth, T975_2 / Math.sqrt(3), { rtol: 1e-9 }, "half-width");
  assertClose(ci.low, 2 - T975_2 / Math.sqrt(3), { rtol: 1e-9 }, "low");
  // ν = 1: t_{0.975,1} = tan(0.475π); two values 0 and 2: mean 1, s = √2
  const two = meanInterval([0, 2]);
  assertClose(two.halfWidth, Math.tan(0.475 * Math.PI) * Math.sqrt(2) / Math.sqrt(2), {
    rtol: 1e-9,
  }, "n=2");
  // a 90% interval is narrower: t_{0.95,2} = 0.9/√(2·0.95·0.05)
  assertClose(
    meanInterval([1, 2, 3], 0.9).halfWidth,
    0.9 / Math.sqrt(2 * 0.95 * 0.05) / Math.sqrt(3),
    { rtol: 1e-9 },
    "90%",
  );
});

Deno.test("meanInterval() of one value has no interval, and rejects non-finite values", () => {
  const one = meanInterval([4.5]);
  assert.equal(one.mean, 4.5);
  assert.ok(Number.isNaN(one.halfWidth) && Number.isNaN(one.low));
  assert.equal(formatMeanInterval(one), "4.5");
  assert.equal(formatMeanInterval(meanInterval([1, 2, 3])), "2 ± 2.5");
  assert.throws(() => meanInterval([]), StatsInputError);
  assert.throws(() => meanInterval([1, NaN]), StatsInputError);
});

Deno.test("pairedVerdict() reproduces a lower-is-claimed difference whose interval excludes 0", () => {
  // differences −2, −2.1, −1.9: mean −2, s = 0.1, interval −2 ± T975_2·0.1/√3 (all below 0)
  const v = pairedVerdict({
    claim: "A lowers the loss",
    arms: ["A", "B"],
    a: seeds(1, 2, 3),
    b: seeds(3, 4.1, 4.9),
    direction: { kind: "lower" },
  });
  assert.equal(v.outcome, "Reproduced");
  assertClose(v.difference!.mean, -2, { atol: 1e-12 }, "mean difference");
  assertClose(v.difference!.halfWidth, T975_2 * 0.1 / Math.sqrt(3), { rtol: 1e-9 }, "half-width");
  assert.deepEqual(v.seeds, [0, 1, 2]);
  assert.match(v.text, /^Reproduced: A lowers the loss \(paper: A − B < 0\)/);
  assert.match(v.text, /paired A − B = -2, 95% CI \[-2\.25, -1\.75\], n = 3 seeds/);
  // the same data against a claim in the other direction contradict it
  const w = pairedVerdict({
    claim: "A raises the loss",
    arms: ["A", "B"],
    a: seeds(1, 2, 3),
    b: seeds(3, 4.1, 4.9),
    direction: { kind: "higher" },
  });
  assert.equal(w.outcome, "Contradicted");
});

Deno.test("pairedVerdict() pairs by seed, so a shared seed effect cancels", () => {
  // B − A is 0.1 at every seed, but the seeds differ by far more: unpaired intervals overlap,
  // the paired one does not
  const a = seeds(10, 20, 30, 40);
  const b = seeds(10.1, 20.1, 30.1, 40.1);
  const v = pairedVerdict({ claim: "A < B", arms: ["A", "B"], a, b, direction: { kind: "lower" } });
  assert.equal(v.outcome, "Reproduced");
  assertClose(v.difference!.halfWidth, 0, { atol: 1e-9 }, "constant difference");
});

Deno.test("pairedVerdict() is Inconclusive when the interval contains 0 or with one seed", () => {
  const v = pairedVerdict({
    claim: "A < B",
    arms: ["A", "B"],
    a: seeds(1, 3, 2),
    b: seeds(2, 2, 2),
    direction: { kind: "lower" },
  });
  assert.equal(v.outcome, "Inconclusive");
  const one = pairedVerdict({
    claim: "A < B",
    arms: ["A", "B"],
    a: new Map([[0, 1]]),
    b: new Map([[0, 5]]),
    direction: { kind: "lower" },
  });
  assert.equal(one.outcome, "Inconclusive (one seed)");
  assert.match(one.text, /A − B = -4 from seed 0 alone, no interval/);
});

Deno.test("pairedVerdict() leaves out seeds missing in one arm or not finite, and says so", () => {
  const v = pairedVerdict({
    claim: "A < B",
    arms: ["A", "B"],
    a: new Map([[0, 1], [1, 1], [2, NaN], [3, 1]]),
    b: new Map([[0, 2], [1, 2.1], [2, 2], [4, 2]]),
    direction: { kind: "lower" },
  });
  assert.deepEqual(v.seeds, [0, 1]);
  assert.deepEqual(v.unpaired, [2, 3, 4]);
  assert.match(v.text, /seeds 2, 3, 4 left out/);
  const none = pairedVerdict({
    claim: "A < B",
    arms: ["A", "B"],
    a: new Map([[0, 1]]),
    b: new Map([[1, 2]]),
    direction: { kind: "lower" },
  });
  assert.equal(none.outcome, "Inconclusive");
  assert.equal(none.difference, null);
});

Deno.test("pairedVerdict() against a fixed reference is a one-sample interval", () => {
  const v = pairedVerdict({
    claim: "entropy below 0.9",
    arms: ["entropy", "0.9"],
    a: seeds(0.5, 0.55, 0.6),
    b: 0.9,
    direction: { kind: "lower" },
  });
  assert.equal(v.outcome, "Reproduced");
  assertClose(v.difference!.mean, -0.35, { atol: 1e-12 }, "mean");
});

Deno.test("pairedVerdict() judges an equivalence claim by its margin", () => {
  const eq = (b: number[]) =>
    pairedVerdict({
      claim: "γ does not matter",
      arms: ["γ=5", "γ=10"],
      a: seeds(1, 1, 1),
      b: seeds(...b),
      direction: { kind: "equal", margin: 0.5 },
    }).outcome;
  assert.equal(eq([1.01, 0.99, 1.0]), "Reproduced");
  assert.equal(eq([2, 2.1, 1.9]), "Contradicted");
  assert.equal(eq([1.4, 0.2, 1.0]), "Inconclusive");
});

Deno.test("allOf() needs every part reproduced, and any contradiction wins", () => {
  const mk = (d: number[]) =>
    pairedVerdict({
      claim: "x",
      arms: ["A", "B"],
      a: seeds(...d),
      b: seeds(...d.map(() => 0)),
      direction: { kind: "lower" },
    });
  const yes = mk([-1, -1.1, -0.9]), no = mk([1, 1.1, 0.9]), maybe = mk([-1, 1, 0.2]);
  assert.equal(allOf([yes, yes]), "Reproduced");
  assert.equal(allOf([yes, maybe]), "Inconclusive");
  assert.equal(allOf([yes, no, maybe]), "Contradicted");
  assert.equal(allOf([yes, mk([-1])]), "Inconclusive (one seed)");
});
