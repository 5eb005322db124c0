/**
 * A cyclic Jacobi eigensolver for symmetric matrices (Golub & Van Loan, "Matrix Computations",
 * §8.5.3): plane rotations zero each off-diagonal entry in turn until the off-diagonal mass is below
 * round-off. Slower than `symmetricEigen` in `linalg.ts` (O(d³) per sweep, 6-10 sweeps) but simple
 * and very accurate; kept as an independent reference to cross-check it, and for tiny d.
 */
import { checkFinite, checkInt, checkShape, MetricsMathError } from "./errors.ts";
import { ascendingOrder, identity, type SymmetricEigen, symmetrizeInPlace } from "./linalg.ts";

/**
 * Reference eigensolver: cyclic Jacobi rotations until the off-diagonal mass is below round-off.
 * Same output convention as `symmetricEigen`. Slower; use it to cross-check, or for tiny d.
 */
export function symmetricEigenJacobi(
  a: ArrayLike<number>,
  d: number,
  maxSweeps = 100,
): SymmetricEigen {
  const op = "compute a Jacobi eigendecomposition";
  checkInt(op, "dimension", d, 1);
  checkShape(op, "matrix", a, d, d);
  checkFinite(op, "matrix", a, d);
  const m = symmetrizeInPlace(Float64Array.from(a), d);
  const q = identity(d);
  let total = 0;
  for (let i = 0; i < d * d; i++) total += m[i]! * m[i]!;
  const threshold = (2 ** -52) ** 2 * total;
  for (let sweep = 0;; sweep++) {
    let offMass = 0;
    for (let p = 0; p < d; p++) for (let r = p + 1; r < d; r++) offMass += 2 * m[p * d + r]! ** 2;
    if (offMass <= threshold) break;
    if (sweep >= maxSweeps) {
      throw new MetricsMathError(
        op,
        `off-diagonal mass ${offMass} still above ${threshold} after ${maxSweeps} sweeps (d = ${d})`,
      );
    }
    for (let p = 0; p < d - 1; p++) {
      for (let r = p + 1; r < d; r++) {
        const apr = m[p * d + r]!;
        if (apr === 0) continue;
        // Rotation angle φ with cot 2φ = θ zeroes m[p, r].
        const theta = (m[r * d + r]! - m[p * d + p]!) / (2 * apr);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const mkp = m[k * d + p]!;
          const mkr = m[k * d + r]!;
          m[k * d + p] = c * mkp - s * mkr;
          m[k * d + r] = s * mkp + c * mkr;
        }
        for (let k = 0; k < d; k++) {
          const mpk = m[p * d + k]!;
          const mrk = m[r * d + k]!;
          m[p * d + k] = c * mpk - s * mrk;
          m[r * d + k] = s * mpk + c * mrk;
        }
        m[p * d + r] = 0;
        m[r * d + p] = 0;
        for (let k = 0; k < d; k++) {
          const qkp = q[k * d + p]!;
          const qkr = q[k * d + r]!;
          q[k * d + p] = c * qkp - s * qkr;
          q[k * d + r] = s * qkp + c * qkr;
        }
      }
    }
  }
  const diag = new Float64Array(d);
  for (let i = 0; i < d; i++) diag[i] = m[i * d + i]!;
  const order = ascendingOrder(diag);
  const values = new Float64Array(d);
  const vectors = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    const src = order[j]!;
    values[j] = diag[src]!;
    for (let k = 0; k < d; k++) vectors[k * d + j] = q[k * d + src]!;
  }
  return { values, vectors };
}
