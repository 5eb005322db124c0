import assert from "node:assert/strict";
import {
  featureStats,
  frechetDistance,
  frechetTerms,
  matmul,
  MetricsInputError,
  symmetricEigen,
} from "../../src/metrics/mod.ts";
import {
  assertClose,
  fromEigen,
  maxAbsDiff,
  randomPsd,
  randomSymmetric,
  testRng,
} from "./_helpers.ts";

/** Gaussian stats as FeatureStats-shaped data (count irrelevant to the distance). */
const gaussian = (mean: ArrayLike<number>, cov: ArrayLike<number>) => ({
  mean: Float64Array.from(mean),
  cov: Float64Array.from(cov),
});

const diagonal = (values: number[]) => {
  const d = values.length;
  const a = new Float64Array(d * d);
  values.forEach((v, i) => (a[i * d + i] = v));
  return a;
};

/** n samples of N(mean, I) in d dimensions, as float32 features. */
function normalFeatures(n: number, d: number, mean: number[], seed: number): Float32Array {
  const rng = testRng(seed);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) x[i * d + j] = rng.normal() + (mean[j] ?? 0);
  }
  return x;
}

Deno.test("featureStats() computes the mean and unbiased covariance of a hand example", () => {
  // Rows (1, 2), (3, 4), (5, 9): mean (3, 5); var 4 and 13, covariance (6 + 0 + 8)/2 = 7.
  const s = featureStats(new Float32Array([1, 2, 3, 4, 5, 9]), 3, 2);
  assert.equal(s.count, 3);
  assert.equal(s.dim, 2);
  assert.ok(maxAbsDiff(s.mean, [3, 5]) < 1e-14);
  assert.ok(maxAbsDiff(s.cov, [4, 7, 7, 13]) < 1e-13);
});

Deno.test("featureStats() keeps precision under a large common offset", () => {
  const base = normalFeatures(500, 4, [], 3);
  const shifted = new Float64Array(base.length).map((_, i) => base[i]! + 1e7);
  const a = featureStats(base, 500, 4);
  const b = featureStats(shifted, 500, 4);
  assert.ok(maxAbsDiff(a.cov, b.cov) < 1e-8);
  assert.ok(maxAbsDiff(b.mean, Array.from(a.mean, (m) => m + 1e7)) < 1e-7);
});

Deno.test("featureStats() rejects wrong shapes, too few samples and NaN/Inf", () => {
  assert.throws(() => featureStats(new Float32Array(7), 3, 2), /has 7 values, expected 3 × 2/);
  assert.throws(() => featureStats(new Float32Array(2), 1, 2), /number of samples must be/);
  const bad = new Float32Array([1, 2, 3, Infinity]);
  assert.throws(() => featureStats(bad, 2, 2), /features holds Infinity at row 1, column 1/);
  assert.throws(() => featureStats(new Float32Array([NaN, 0, 0, 0]), 2, 2), MetricsInputError);
});

Deno.test("frechetDistance() matches the closed form for diagonal covariances", () => {
  const va = [1, 4, 0.25, 9, 0];
  const vb = [2, 1, 0.25, 16, 3];
  const ma = [0, 1, 2, 3, 4];
  const mb = [1, 1, 0, 3, 4.5];
  let expected = 0;
  for (let i = 0; i < 5; i++) {
    expected += (ma[i]! - mb[i]!) ** 2 + (Math.sqrt(va[i]!) - Math.sqrt(vb[i]!)) ** 2;
  }
  const fd = frechetDistance(gaussian(ma, diagonal(va)), gaussian(mb, diagonal(vb)));
  assertClose(fd, expected, { atol: 1e-12, rtol: 1e-12 });
  const terms = frechetTerms(gaussian(ma, diagonal(va)), gaussian(mb, diagonal(vb)));
  assertClose(terms.meanTerm, 1 + 4 + 0.25, { atol: 1e-15 });
});

Deno.test("frechetDistance() matches the closed form for commuting non-diagonal covariances", () => {
  const d = 12;
  const q = symmetricEigen(randomSymmetric(d, 31), d).vectors; // a random orthogonal basis
  const rng = testRng(32);
  const la = Array.from({ length: d }, () => rng.uniform() * 3);
  const lb = Array.from({ length: d }, () => rng.uniform() * 3);
  const ma = Array.from({ length: d }, () => rng.normal());
  const mb = Array.from({ length: d }, () => rng.normal());
  let expected = 0;
  for (let i = 0; i < d; i++) {
    expected += (ma[i]! - mb[i]!) ** 2 + (Math.sqrt(la[i]!) - Math.sqrt(lb[i]!)) ** 2;
  }
  const fd = frechetDistance(gaussian(ma, fromEigen(q, la, d)), gaussian(mb, fromEigen(q, lb, d)));
  assertClose(fd, expected, { atol: 1e-10, rtol: 1e-10 });
});

Deno.test("frechetDistance() equals the Tr((Σa Σb)^½) formula for non-commuting 2 × 2 covariances", () => {
  // For 2 × 2 PSD M = Σa Σb with real eigenvalues λ1, λ2 ≥ 0: Tr M^½ = √(Tr M + 2 √det M).
  const ca = [2, 0.7, 0.7, 1];
  const cb = [0.5, -0.3, -0.3, 3];
  const m = matmul(ca, cb, 2, 2, 2);
  const detA = 2 * 1 - 0.49;
  const detB = 0.5 * 3 - 0.09;
  const traceSqrt = Math.sqrt(m[0]! + m[3]! + 2 * Math.sqrt(detA * detB));
  const expected = 1 + (2 + 1) + (0.5 + 3) - 2 * traceSqrt; // |(1, 0)|² + Tr Σa + Tr Σb − 2 Tr
  const fd = frechetDistance(gaussian([1, 0], ca), gaussian([0, 0], cb));
  assertClose(fd, expected, { atol: 1e-13 });
});

Deno.test("frechetDistance() is 0 for identical stats and symmetric in its arguments", () => {
  const d = 64;
  const rng = testRng(41);
  const a = gaussian(Array.from({ length: d }, () => rng.normal()), randomPsd(d, 3 * d, 42));
  assert.ok(frechetDistance(a, a) <= 1e-6, `FD(a, a) = ${frechetDistance(a, a)}`);
  const b = gaussian(Array.from({ length: d }, () => rng.normal()), randomPsd(d, 2 * d, 43));
  const ab = frechetDistance(a, b);
  const ba = frechetDistance(b, a);
  assert.ok(ab > 1);
  assertClose(ab, ba, { rtol: 1e-10 });
  // Rank-deficient covariances (fewer samples than dimensions) still give a finite distance.
  const c = gaussian(new Float64Array(d), randomPsd(d, 10, 44));
  const singular = frechetDistance(c, c);
  assert.ok(singular >= 0 && singular < 1e-6, `singular FD(c, c) = ${singular}`);
  assertClose(frechetDistance(a, c), frechetDistance(c, a), { rtol: 1e-8 });
});

Deno.test("frechetDistance() from samples of N(0, I) and N(e1, I) approaches 1", () => {
  const n = 20000;
  const d = 8;
  const a = featureStats(normalFeatures(n, d, [], 51), n, d);
  const b = featureStats(normalFeatures(n, d, [1], 52), n, d);
  const fd = frechetDistance(a, b);
  assertClose(fd, 1, { atol: 0.05 }, "FD(N(0, I), N(e1, I))");
});

Deno.test("frechetDistance() at d = 128 from 1000 samples each takes well under a second", () => {
  const n = 1000;
  const d = 128;
  const a = featureStats(normalFeatures(n, d, [], 61), n, d);
  const b = featureStats(normalFeatures(n, d, [0.5], 62), n, d);
  const start = performance.now();
  const fd = frechetDistance(a, b);
  const ms = performance.now() - start;
  assert.ok(Number.isFinite(fd) && fd > 0.25);
  assert.ok(ms < 1000, `FD at d = 128 took ${ms.toFixed(0)} ms`);
});

Deno.test("frechetDistance() rejects mismatched dimensions and non-finite stats", () => {
  const a = gaussian([0, 0], diagonal([1, 1]));
  const b = gaussian([0, 0, 0], diagonal([1, 1, 1]));
  assert.throws(() => frechetDistance(a, b), /feature dimensions differ: a has 2, b has 3/);
  assert.throws(() => frechetDistance(a, gaussian([0, 0], [1, 0, 0])), /b\.cov has 3 values/);
  assert.throws(
    () => frechetDistance(a, gaussian([NaN, 0], diagonal([1, 1]))),
    /b\.mean holds NaN/,
  );
  assert.throws(() => frechetDistance(gaussian([], []), a), /a\.mean is empty/);
  assert.throws(
    () => frechetDistance(a, gaussian([0, 0], diagonal([1, -1]))),
    /not positive semi-definite/,
  );
});
