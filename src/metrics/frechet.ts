/**
 * The Fréchet distance between Gaussians fitted to two sets of features (FID when the features are
 * Inception's; FD-clf in diffrun, where they are the penultimate layer of the pipeline's own small
 * classifier; docs/methods.md#fd-clf). Heusel et al., "GANs Trained by a Two Time-Scale Update Rule
 * Converge to a Local Nash Equilibrium" (NeurIPS 2017); Dowson & Landau (1982) for the closed form.
 *
 *   FD = |μa − μb|² + Tr(Σa + Σb − 2 (Σa^½ Σb Σa^½)^½)
 *
 * The symmetric form: Σa^½ Σb Σa^½ is symmetric PSD, so its square root's trace is Σ √λ of a
 * symmetric eigenproblem, with no complex round-off as in sqrtm(Σa Σb). The value equals the usual
 * Tr((Σa Σb)^½) formula since Σa Σb is similar to Σa^½ Σb Σa^½.
 *
 * Not here: feature extraction (the caller runs its classifier and hands over typed arrays),
 * sample-size bias correction (FD is biased upward for small n: compare arms at the same n).
 */
import { checkFinite, checkInt, checkShape, type FloatArray, MetricsInputError } from "./errors.ts";
import {
  clampPsdEigenvalues,
  matmul,
  sqrtmSymmetric,
  symmetricEigenvalues,
  symmetrizeInPlace,
  trace,
} from "./linalg.ts";

/** Mean and unbiased covariance of `count` feature vectors of dimension `dim`. */
export interface FeatureStats {
  readonly dim: number;
  readonly count: number;
  /** [dim] */
  readonly mean: Float64Array;
  /** [dim, dim] row-major, divided by count − 1. */
  readonly cov: Float64Array;
}

/** The two terms of the distance, for reports that want to see which one moved. */
export interface FrechetTerms {
  /** meanTerm + covTerm, clamped at 0 (negative only through round-off). */
  readonly distance: number;
  /** |μa − μb|² */
  readonly meanTerm: number;
  /** Tr(Σa + Σb − 2 (Σa^½ Σb Σa^½)^½) */
  readonly covTerm: number;
}

/**
 * Mean and unbiased covariance of `features`, `n` rows of `d` values (row-major, as a classifier's
 * `[n, d]` output comes back from `readTensor()`). Accumulates in float64 around a shifted origin (the
 * first row) so large feature offsets do not cost precision. Needs n ≥ 2; NaN/Inf is an error.
 */
export function featureStats(features: FloatArray, n: number, d: number): FeatureStats {
  const op = "compute feature statistics";
  checkInt(op, "number of samples", n, 2);
  checkInt(op, "feature dimension", d, 1);
  checkShape(op, "features", features, n, d);
  checkFinite(op, "features", features, d);
  // Shifted data: y = x − x₀. Mean and covariance of y equal those of x up to the shift.
  const shift = Float64Array.from(features.subarray(0, d));
  const sum = new Float64Array(d);
  const cross = new Float64Array(d * d); // upper triangle of Σ yᵢ yᵢᵀ
  const y = new Float64Array(d);
  for (let s = 0; s < n; s++) {
    const row = s * d;
    for (let i = 0; i < d; i++) {
      const v = features[row + i]! - shift[i]!;
      y[i] = v;
      sum[i] = sum[i]! + v;
    }
    for (let i = 0; i < d; i++) {
      const yi = y[i]!;
      if (yi === 0) continue;
      const ci = i * d;
      for (let j = i; j < d; j++) cross[ci + j] = cross[ci + j]! + yi * y[j]!;
    }
  }
  const mean = new Float64Array(d);
  for (let i = 0; i < d; i++) mean[i] = shift[i]! + sum[i]! / n;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      // Σ (yi − ȳi)(yj − ȳj) = Σ yi yj − n ȳi ȳj
      const c = (cross[i * d + j]! - (sum[i]! * sum[j]!) / n) / (n - 1);
      cov[i * d + j] = c;
      cov[j * d + i] = c;
    }
  }
  return { dim: d, count: n, mean, cov };
}

/** Throws unless `s` is a well-formed, finite `FeatureStats`; returns its dimension. */
function checkStats(op: string, name: string, s: Pick<FeatureStats, "mean" | "cov">): number {
  const d = s.mean.length;
  if (d < 1) throw new MetricsInputError(op, `${name}.mean is empty`);
  checkShape(op, `${name}.cov`, s.cov, d, d);
  checkFinite(op, `${name}.mean`, s.mean);
  checkFinite(op, `${name}.cov`, s.cov, d);
  return d;
}

/** Both terms of the Fréchet distance between the Gaussians `a` and `b` (see the module header). */
export function frechetTerms(
  a: Pick<FeatureStats, "mean" | "cov">,
  b: Pick<FeatureStats, "mean" | "cov">,
): FrechetTerms {
  const op = "compute the Fréchet distance";
  const d = checkStats(op, "a", a);
  const db = checkStats(op, "b", b);
  if (db !== d) {
    throw new MetricsInputError(op, `feature dimensions differ: a has ${d}, b has ${db}`);
  }
  let meanTerm = 0;
  for (let i = 0; i < d; i++) meanTerm += (a.mean[i]! - b.mean[i]!) ** 2;
  const sqrtA = sqrtmSymmetric(a.cov, d); // Σa^½
  const middle = symmetrizeInPlace(matmul(matmul(sqrtA, b.cov, d, d, d), sqrtA, d, d, d), d);
  const lambda = clampPsdEigenvalues(op, symmetricEigenvalues(middle, d));
  let traceSqrt = 0; // Tr((Σa^½ Σb Σa^½)^½)
  for (const l of lambda) traceSqrt += Math.sqrt(l);
  const covTerm = trace(a.cov, d) + trace(b.cov, d) - 2 * traceSqrt;
  return { distance: Math.max(0, meanTerm + covTerm), meanTerm, covTerm };
}

/** Fréchet distance between the Gaussians `a` and `b`: |μa − μb|² + Tr(Σa + Σb − 2(Σa^½ Σb Σa^½)^½). */
export function frechetDistance(
  a: Pick<FeatureStats, "mean" | "cov">,
  b: Pick<FeatureStats, "mean" | "cov">,
): number {
  return frechetTerms(a, b).distance;
}
