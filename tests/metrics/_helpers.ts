/** Seeded matrices and array distances shared by the metrics tests. */
import assert from "node:assert/strict";
import { testRng } from "../helpers/random.ts";

export { assertClose } from "../helpers/assert.ts";
export { testRng };

/** Largest |a[i] − b[i]|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, "lengths differ");
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** A random symmetric d × d matrix with N(0, 1) entries above the diagonal. */
export function randomSymmetric(d: number, seed: number): Float64Array {
  const rng = testRng(seed);
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      const v = rng.normal();
      a[i * d + j] = v;
      a[j * d + i] = v;
    }
  }
  return a;
}

/** A random PSD d × d matrix G·Gᵀ / m with G of d × m normal entries (rank min(d, m)). */
export function randomPsd(d: number, m: number, seed: number): Float64Array {
  const rng = testRng(seed);
  const g = Float64Array.from({ length: d * m }, () => rng.normal());
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < m; k++) s += g[i * m + k]! * g[j * m + k]!;
      a[i * d + j] = s / m;
    }
  }
  return a;
}

/** Q · diag(values) · Qᵀ for a d × d matrix q. */
export function fromEigen(q: Float64Array, values: ArrayLike<number>, d: number): Float64Array {
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += q[i * d + k]! * values[k]! * q[j * d + k]!;
      a[i * d + j] = s;
    }
  }
  return a;
}
