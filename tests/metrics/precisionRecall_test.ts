import assert from "node:assert/strict";
import { knnRadii2, precisionRecall } from "../../src/metrics/mod.ts";
import { assertClose, testRng } from "./_helpers.ts";

function normalFeatures(n: number, d: number, scale: number, seed: number): Float32Array {
  const rng = testRng(seed);
  return Float32Array.from({ length: n * d }, () => scale * rng.normal());
}

Deno.test("knnRadii2() returns the squared distance to the k-th other point", () => {
  // Points on a line: 0, 1, 3, 7.
  const x = new Float64Array([0, 1, 3, 7]);
  assert.deepEqual(Array.from(knnRadii2(x, 4, 1, 1)), [1, 1, 4, 16]);
  assert.deepEqual(Array.from(knnRadii2(x, 4, 1, 2)), [9, 4, 9, 36]);
  assert.throws(() => knnRadii2(x, 4, 1, 4), /need more than k = 4 samples/);
});

Deno.test("precisionRecall() is 1 for identical sets and 0 for far-apart sets", () => {
  const n = 200;
  const d = 16;
  const real = normalFeatures(n, d, 1, 1);
  const same = precisionRecall(real, n, real, n, d);
  assert.deepEqual([same.precision, same.recall, same.coverage], [1, 1, 1]);
  assert.ok(same.density >= 1 / 3);
  const far = real.map((v) => v + 100);
  const apart = precisionRecall(real, n, far, n, d);
  assert.deepEqual([apart.precision, apart.recall, apart.density, apart.coverage], [0, 0, 0, 0]);
});

Deno.test("precisionRecall() computes a 1-D hand example with k = 1", () => {
  // Real 0, 1, 10, 11 (radius 1 each); fake 0.5, 1.2, 5, 6 (radii 0.7, 0.7, 1, 1).
  // Precision: 0.5 ∈ ball(0), 1.2 ∈ ball(1), 5 and 6 in none → 1/2.
  // Recall: real 0 and 1 lie in fake balls of 0.5 (radius 0.7) → 2/4.
  // Density: 0.5 lies in balls of 0 and 1, 1.2 in the ball of 1 → 3 / (1 · 4).
  // Coverage: balls of 0 and 1 hold a fake → 2/4.
  const real = new Float64Array([0, 1, 10, 11]);
  const fake = new Float64Array([0.5, 1.2, 5, 6]);
  const r = precisionRecall(real, 4, fake, 4, 1, { k: 1 });
  assertClose(r.precision, 0.5, { atol: 0 });
  assertClose(r.recall, 0.5, { atol: 0 });
  assertClose(r.density, 0.75, { atol: 0 });
  assertClose(r.coverage, 0.5, { atol: 0 });
});

Deno.test("precisionRecall() sees a collapsed generator as precise but low-recall", () => {
  const n = 400;
  const d = 8;
  const real = normalFeatures(n, d, 1, 7);
  const collapsed = normalFeatures(n, d, 0.1, 8); // all mass near the real mode
  const r = precisionRecall(real, n, collapsed, n, d);
  assert.ok(r.precision > 0.9, `precision ${r.precision}`);
  assert.ok(r.recall < 0.2, `recall ${r.recall}`);
  const spread = normalFeatures(n, d, 3, 9); // too diverse: recall high, precision low
  const s = precisionRecall(real, n, spread, n, d);
  assert.ok(s.recall > 0.8 && s.precision < 0.3, `precision ${s.precision}, recall ${s.recall}`);
});

Deno.test("precisionRecall() rejects wrong shapes, too few samples and NaN", () => {
  const x = new Float32Array(20);
  assert.throws(() => precisionRecall(x, 10, x, 9, 2), /fake features has 20 values, expected 9/);
  assert.throws(
    () => precisionRecall(x, 10, x, 3, 2),
    /number of fake samples must be an integer ≥ 4/,
  );
  const bad = x.slice();
  bad[3] = NaN;
  assert.throws(() => precisionRecall(x, 10, bad, 10, 2), /fake features holds NaN at row 1/);
});
