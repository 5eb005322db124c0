/**
 * Dense linear algebra for the metrics: symmetric eigendecomposition, the square root of a
 * symmetric positive semi-definite matrix, and the few matrix helpers the Fréchet distance needs.
 *
 * Matrices are flat row-major `Float64Array`s (`a[i * cols + j]`), dimensions passed alongside.
 * Everything is pure and synchronous; inputs are never modified.
 *
 * Eigensolver: Householder reduction to tridiagonal form followed by the implicit QL algorithm
 * (`tred2` / `tql2` of EISPACK, after the public-domain JAMA port; Golub & Van Loan, "Matrix
 * Computations", §8.3). O(d³), about 15 ms at d = 128. A cyclic Jacobi solver, kept as an
 * independent reference, lives in `jacobi.ts`.
 *
 * Not here: general (non-symmetric) eigenproblems, factorizations other than the above, BLAS-level
 * speed. For d in the thousands (Inception's 2048) expect seconds to a minute per decomposition.
 */
import {
  checkFinite,
  checkInt,
  checkShape,
  MetricsInputError,
  MetricsMathError,
} from "./errors.ts";

/** `a = Q · diag(values) · Qᵀ`, values ascending, eigenvector j in column j of `vectors` (d × d). */
export interface SymmetricEigen {
  readonly values: Float64Array;
  readonly vectors: Float64Array;
}

/**
 * Eigenvalues below `-PSD_TOLERANCE · max|λ|` make `sqrtmSymmetric` reject a matrix as not positive
 * semi-definite; negative eigenvalues above it are round-off and are clamped to 0.
 */
export const PSD_TOLERANCE = 1e-8;

/** A fresh symmetric copy of `a`: (a + aᵀ)/2, after checking shape and finiteness. */
function symmetricCopy(operation: string, a: ArrayLike<number>, d: number): Float64Array {
  checkInt(operation, "dimension", d, 1);
  checkShape(operation, "matrix", a, d, d);
  checkFinite(operation, "matrix", a, d);
  const s = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    s[i * d + i] = a[i * d + i]!;
    for (let j = i + 1; j < d; j++) {
      const v = 0.5 * (a[i * d + j]! + a[j * d + i]!);
      s[i * d + j] = v;
      s[j * d + i] = v;
    }
  }
  return s;
}

/**
 * Householder tridiagonalisation (EISPACK tred2). On entry `v` holds the symmetric matrix; on exit
 * `diag`/`off` hold the tridiagonal (off[0] = 0, off[i] couples i-1 and i) and, when `accumulate`,
 * `v` holds the orthogonal transformation (row-major).
 */
function tred2(
  v: Float64Array,
  n: number,
  diag: Float64Array,
  off: Float64Array,
  accumulate: boolean,
) {
  const d = diag;
  const e = off;
  for (let j = 0; j < n; j++) d[j] = v[(n - 1) * n + j]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = v[(i - 1) * n + j]!;
        v[i * n + j] = 0;
        v[j * n + i] = 0;
      }
    } else {
      // Householder vector, scaled against under/overflow.
      for (let k = 0; k < i; k++) {
        d[k] = d[k]! / scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      // Similarity transformation of the remaining (lower-triangle) block.
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        v[j * n + i] = f;
        g = e[j]! + v[j * n + j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          const vkj = v[k * n + j]!;
          g += vkj * d[k]!;
          e[k] = e[k]! + vkj * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] = e[j]! / h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] = e[j]! - hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k <= i - 1; k++) v[k * n + j] = v[k * n + j]! - (f * e[k]! + g * d[k]!);
        d[j] = v[(i - 1) * n + j]!;
        v[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  if (!accumulate) {
    // The tridiagonal's diagonal sits on v's diagonal (the last entry was never transformed).
    for (let j = 0; j < n; j++) d[j] = v[j * n + j]!;
    e[0] = 0;
    return;
  }
  for (let i = 0; i < n - 1; i++) {
    v[(n - 1) * n + i] = v[i * n + i]!;
    v[i * n + i] = 1;
    const h = d[i + 1]!;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = v[k * n + i + 1]! / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += v[k * n + i + 1]! * v[k * n + j]!;
        for (let k = 0; k <= i; k++) v[k * n + j] = v[k * n + j]! - g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) v[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = v[(n - 1) * n + j]!;
    v[(n - 1) * n + j] = 0;
  }
  v[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

/**
 * Implicit QL with Wilkinson-style shifts on the tridiagonal (EISPACK tql2). `w`, when given, holds
 * the transformation *transposed* (row i = column i), so that each rotation touches two contiguous
 * rows. Eigenvalues end in `diag`, unsorted.
 */
function tql2(n: number, diag: Float64Array, off: Float64Array, w: Float64Array | null) {
  const d = diag;
  const e = off;
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  const maxIter = 60;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]!) > eps * tst1) m++;
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > maxIter) {
          throw new MetricsMathError(
            "compute a symmetric eigendecomposition",
            `QL iteration did not converge for eigenvalue ${l} of ${n} after ${maxIter} steps`,
          );
        }
        // Implicit shift.
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i] = d[i]! - h;
        f += h;
        // Implicit QL transformation.
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          if (w !== null) {
            const ri = i * n;
            const ri1 = (i + 1) * n;
            for (let k = 0; k < n; k++) {
              const wk1 = w[ri1 + k]!;
              const wk = w[ri + k]!;
              w[ri1 + k] = s * wk + c * wk1;
              w[ri + k] = c * wk - s * wk1;
            }
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
}

/** Indices that sort `values` ascending. */
export function ascendingOrder(values: Float64Array): number[] {
  return Array.from(values.keys()).sort((i, j) => values[i]! - values[j]!);
}

/**
 * Eigendecomposition of the symmetric `d × d` matrix `a` (row-major; (a + aᵀ)/2 is used):
 * values ascending, orthonormal eigenvectors in the columns of `vectors`.
 */
export function symmetricEigen(a: ArrayLike<number>, d: number): SymmetricEigen {
  const v = symmetricCopy("compute a symmetric eigendecomposition", a, d);
  const diag = new Float64Array(d);
  const off = new Float64Array(d);
  tred2(v, d, diag, off, true);
  const w = transpose(v, d, d);
  tql2(d, diag, off, w);
  const order = ascendingOrder(diag);
  const values = new Float64Array(d);
  const vectors = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    const src = order[j]!;
    values[j] = diag[src]!;
    for (let k = 0; k < d; k++) vectors[k * d + j] = w[src * d + k]!;
  }
  return { values, vectors };
}

/** Eigenvalues (ascending) of the symmetric matrix `a`, without forming eigenvectors (≈3× faster). */
export function symmetricEigenvalues(a: ArrayLike<number>, d: number): Float64Array {
  const v = symmetricCopy("compute symmetric eigenvalues", a, d);
  const diag = new Float64Array(d);
  const off = new Float64Array(d);
  tred2(v, d, diag, off, false);
  tql2(d, diag, off, null);
  return diag.sort();
}

/**
 * Clamps round-off negatives of eigenvalues to 0; throws if one is clearly negative (the matrix is
 * not positive semi-definite, which for a covariance means a bug upstream).
 */
export function clampPsdEigenvalues(operation: string, values: Float64Array): Float64Array {
  let scale = 0;
  for (const x of values) scale = Math.max(scale, Math.abs(x));
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (x < -PSD_TOLERANCE * scale) {
      throw new MetricsInputError(
        operation,
        `matrix is not positive semi-definite: eigenvalue ${x} (largest magnitude ${scale})`,
      );
    }
    out[i] = Math.max(x, 0);
  }
  return out;
}

/**
 * The symmetric PSD square root S of `a` (S·S = a, S = Sᵀ ⪰ 0), as Q·diag(√λ)·Qᵀ with round-off
 * negative eigenvalues clamped to 0. Computed as B·Bᵀ with B = Q·diag(λ^¼), so S is exactly symmetric.
 */
export function sqrtmSymmetric(a: ArrayLike<number>, d: number): Float64Array {
  const { values, vectors } = symmetricEigen(a, d);
  const lambda = clampPsdEigenvalues("take a matrix square root", values);
  const b = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    for (let j = 0; j < d; j++) {
      b[k * d + j] = vectors[k * d + j]! * Math.sqrt(Math.sqrt(lambda[j]!));
    }
  }
  const s = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    const bi = i * d;
    for (let j = i; j < d; j++) {
      const bj = j * d;
      let sum = 0;
      for (let k = 0; k < d; k++) sum += b[bi + k]! * b[bj + k]!;
      s[bi + j] = sum;
      s[bj + i] = sum;
    }
  }
  return s;
}

/** The `d × d` identity. */
export function identity(d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) out[i * d + i] = 1;
  return out;
}

/** `aᵀ` for a `rows × cols` matrix `a`. */
export function transpose(a: ArrayLike<number>, rows: number, cols: number): Float64Array {
  checkShape("transpose a matrix", "matrix", a, rows, cols);
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j]!;
  }
  return out;
}

/** `a · b` for `a` of `n × k` and `b` of `k × m` (i-k-j loop order: contiguous inner loop). */
export function matmul(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  n: number,
  k: number,
  m: number,
): Float64Array {
  checkShape("multiply matrices", "left matrix", a, n, k);
  checkShape("multiply matrices", "right matrix", b, k, m);
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    const oi = i * m;
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p]!;
      if (aip === 0) continue;
      const bp = p * m;
      for (let j = 0; j < m; j++) out[oi + j] = out[oi + j]! + aip * b[bp + j]!;
    }
  }
  return out;
}

/** Trace of a `d × d` matrix. */
export function trace(a: ArrayLike<number>, d: number): number {
  checkShape("take a trace", "matrix", a, d, d);
  let sum = 0;
  for (let i = 0; i < d; i++) sum += a[i * d + i]!;
  return sum;
}

/** (a + aᵀ)/2 in place, to remove round-off asymmetry; returns `a`. */
export function symmetrizeInPlace(a: Float64Array, d: number): Float64Array {
  checkShape("symmetrize a matrix", "matrix", a, d, d);
  for (let i = 0; i < d; i++) {
    for (let j = i + 1; j < d; j++) {
      const v = 0.5 * (a[i * d + j]! + a[j * d + i]!);
      a[i * d + j] = v;
      a[j * d + i] = v;
    }
  }
  return a;
}
