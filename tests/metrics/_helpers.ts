/** Seeded random numbers and tolerance asserts shared by the metrics tests. */
import assert from "node:assert/strict";

/** |a − b| ≤ atol + rtol·|b|, with a message naming what was compared. */
export function assertClose(
  actual: number,
  expected: number,
  tol: { atol?: number; rtol?: number },
  what = "",
): void {
  const atol = tol.atol ?? 0;
  const rtol = tol.rtol ?? 0;
  const ok = Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
  assert.ok(ok, `${what} expected ${expected} ± (${atol} + ${rtol}·|x|), got ${actual}`);
}

/** Largest |a[i] − b[i]|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, "lengths differ");
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** A small seeded generator (mulberry32 + Box–Muller), independent of the code under test. */
export function testRng(seed: number): { uniform(): number; normal(): number } {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => {
    const u = 1 - uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
  return { uniform, normal };
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
