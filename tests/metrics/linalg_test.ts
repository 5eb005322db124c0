import assert from "node:assert/strict";
import {
  identity,
  matmul,
  MetricsInputError,
  sqrtmSymmetric,
  symmetricEigen,
  symmetricEigenJacobi,
  symmetricEigenvalues,
  trace,
  transpose,
} from "../../src/metrics/mod.ts";
import { assertClose, fromEigen, maxAbsDiff, randomPsd, randomSymmetric } from "./_helpers.ts";

/** max |QᵀQ − I| */
function orthogonalityError(q: Float64Array, d: number): number {
  return maxAbsDiff(matmul(transpose(q, d, d), q, d, d, d), identity(d));
}

Deno.test("symmetricEigen() reconstructs random symmetric matrices with orthonormal vectors", () => {
  for (const [d, seed] of [[1, 1], [2, 2], [3, 3], [7, 4], [32, 5], [128, 6]] as const) {
    const a = randomSymmetric(d, seed);
    const { values, vectors } = symmetricEigen(a, d);
    assert.ok(maxAbsDiff(fromEigen(vectors, values, d), a) < 1e-9, `A = QΛQᵀ at d = ${d}`);
    assert.ok(orthogonalityError(vectors, d) < 1e-9, `QᵀQ = I at d = ${d}`);
    for (let i = 1; i < d; i++) assert.ok(values[i - 1]! <= values[i]!, "values ascending");
  }
});

Deno.test("symmetricEigen() agrees with the Jacobi reference and symmetricEigenvalues()", () => {
  const d = 24;
  const a = randomSymmetric(d, 11);
  const ql = symmetricEigen(a, d);
  const jacobi = symmetricEigenJacobi(a, d);
  assert.ok(maxAbsDiff(ql.values, jacobi.values) < 1e-10);
  assert.ok(maxAbsDiff(symmetricEigenvalues(a, d), ql.values) < 1e-12);
  assert.ok(maxAbsDiff(fromEigen(jacobi.vectors, jacobi.values, d), a) < 1e-9);
  assert.ok(orthogonalityError(jacobi.vectors, d) < 1e-9);
});

Deno.test("symmetricEigen() solves closed-form and degenerate cases", () => {
  // [[2, 1], [1, 2]] has eigenvalues 1 and 3 with vectors (1, ∓1)/√2.
  const two = symmetricEigen([2, 1, 1, 2], 2);
  assertClose(two.values[0]!, 1, { atol: 1e-14 });
  assertClose(two.values[1]!, 3, { atol: 1e-14 });
  assertClose(Math.abs(two.vectors[0]!), Math.SQRT1_2, { atol: 1e-14 });
  // Zero, identity and a repeated spectrum: any orthonormal basis is right.
  for (const a of [new Float64Array(16), identity(4)]) {
    const { values, vectors } = symmetricEigen(a, 4);
    assert.ok(maxAbsDiff(fromEigen(vectors, values, 4), a) < 1e-14);
    assert.ok(orthogonalityError(vectors, 4) < 1e-14);
  }
  const q = symmetricEigen(randomSymmetric(6, 9), 6).vectors;
  const repeated = fromEigen(q, [2, 2, 2, 5, 5, -1], 6);
  const { values } = symmetricEigen(repeated, 6);
  assert.ok(maxAbsDiff(values, [-1, 2, 2, 2, 5, 5]) < 1e-12);
  // Widely spread scales (a covariance of mixed units).
  const scaled = fromEigen(q, [1e-12, 1e-6, 1, 1e3, 1e6, 1e9], 6);
  const spread = symmetricEigenvalues(scaled, 6);
  assertClose(spread[5]!, 1e9, { rtol: 1e-12 });
  assertClose(spread[2]!, 1, { rtol: 1e-5 });
});

Deno.test("symmetricEigen() at d = 128 takes well under a second", () => {
  const a = randomSymmetric(128, 21);
  const start = performance.now();
  symmetricEigen(a, 128);
  const ms = performance.now() - start;
  assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
});

Deno.test("symmetricEigen() rejects bad shapes and non-finite entries", () => {
  assert.throws(() => symmetricEigen(new Float64Array(5), 2), MetricsInputError);
  assert.throws(() => symmetricEigen([1, NaN, NaN, 1], 2), /matrix holds NaN at row 0, column 1/);
  assert.throws(() => symmetricEigen([], 0), MetricsInputError);
});

Deno.test("sqrtmSymmetric() squares back to the matrix", () => {
  for (const [d, m] of [[5, 20], [64, 200], [16, 4]] as const) { // the last one is rank 4
    const a = randomPsd(d, m, d + m);
    const s = sqrtmSymmetric(a, d);
    assert.ok(maxAbsDiff(matmul(s, s, d, d, d), a) < 1e-10, `S² = A at d = ${d}, rank ${m}`);
    assert.ok(maxAbsDiff(s, transpose(s, d, d)) === 0, "S symmetric");
    assert.ok(symmetricEigenvalues(s, d)[0]! > -1e-10, "S PSD");
  }
  assert.ok(maxAbsDiff(sqrtmSymmetric([4, 0, 0, 9], 2), [2, 0, 0, 3]) < 1e-15);
});

Deno.test("sqrtmSymmetric() clamps round-off negatives and rejects indefinite matrices", () => {
  const q = symmetricEigen(randomSymmetric(3, 5), 3).vectors;
  const s = sqrtmSymmetric(fromEigen(q, [-1e-13, 1, 4], 3), 3);
  assert.ok(maxAbsDiff(s, fromEigen(q, [0, 1, 2], 3)) < 1e-12);
  assert.throws(() => sqrtmSymmetric([1, 0, 0, -1], 2), /not positive semi-definite/);
});

Deno.test("matmul(), transpose() and trace() compute hand examples", () => {
  // [[1, 2, 3], [4, 5, 6]] · [[1, 0], [0, 1], [1, 1]] = [[4, 5], [10, 11]]
  assert.deepEqual(Array.from(matmul([1, 2, 3, 4, 5, 6], [1, 0, 0, 1, 1, 1], 2, 3, 2)), [
    4,
    5,
    10,
    11,
  ]);
  assert.deepEqual(Array.from(transpose([1, 2, 3, 4, 5, 6], 2, 3)), [1, 4, 2, 5, 3, 6]);
  assert.equal(trace([1, 2, 3, 4], 2), 5);
  assert.throws(() => matmul([1, 2], [1, 2], 1, 2, 2), MetricsInputError);
});
