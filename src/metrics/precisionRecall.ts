/**
 * k-NN precision and recall in feature space (Kynkäänniemi et al., "Improved Precision and Recall
 * Metric for Assessing Generative Models", NeurIPS 2019), with density and coverage from the same
 * distances (Naeem et al., "Reliable Fidelity and Diversity Metrics for Generative Models", ICML 2020).
 *
 * Each sample's k-NN ball has the radius of its k-th nearest neighbour within its own set (itself
 * excluded). Precision: share of fake samples inside some real ball (fidelity). Recall: share of real
 * samples inside some fake ball (diversity). Density: mean number of real balls holding a fake, / k.
 * Coverage: share of real samples whose ball holds at least one fake.
 *
 * Exact Euclidean distances, O((n_real + n_fake)² · d) time and O(n · k) memory: meant for n up to a
 * few thousand (2000 × 2000 at d = 128 takes about a second). Not here: approximate neighbours,
 * feature extraction.
 */
import { checkFinite, checkInt, checkShape, type FloatArray, MetricsInputError } from "./errors.ts";

export interface PrecisionRecall {
  readonly precision: number;
  readonly recall: number;
  readonly density: number;
  readonly coverage: number;
  readonly k: number;
  readonly nReal: number;
  readonly nFake: number;
}

/** Squared Euclidean distance between row i of `a` and row j of `b` (both d wide). */
function dist2(a: FloatArray, i: number, b: FloatArray, j: number, d: number): number {
  const ai = i * d;
  const bj = j * d;
  let s = 0;
  for (let c = 0; c < d; c++) {
    const diff = a[ai + c]! - b[bj + c]!;
    s += diff * diff;
  }
  return s;
}

/** Inserts `value` into the ascending list `best[offset .. offset + k)` if it is small enough. */
function insertSmallest(best: Float64Array, offset: number, k: number, value: number): void {
  let pos = offset + k - 1;
  if (value >= best[pos]!) return;
  while (pos > offset && best[pos - 1]! > value) {
    best[pos] = best[pos - 1]!;
    pos--;
  }
  best[pos] = value;
}

/** Squared radius of each row's k-NN ball within `x` (`n` rows of `d`), itself excluded. */
export function knnRadii2(x: FloatArray, n: number, d: number, k: number): Float64Array {
  const op = "compute k-NN radii";
  checkInt(op, "k", k, 1);
  checkInt(op, "feature dimension", d, 1);
  checkShape(op, "features", x, n, d);
  checkFinite(op, "features", x, d);
  if (n <= k) throw new MetricsInputError(op, `need more than k = ${k} samples, got ${n}`);
  const best = new Float64Array(n * k).fill(Infinity);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = dist2(x, i, x, j, d);
      insertSmallest(best, i * k, k, v);
      insertSmallest(best, j * k, k, v);
    }
  }
  const radii = new Float64Array(n);
  for (let i = 0; i < n; i++) radii[i] = best[i * k + k - 1]!;
  return radii;
}

/**
 * Precision, recall, density and coverage of `fake` (`nFake × d`) against `real` (`nReal × d`) with
 * k-NN balls (k = 3 by default, as in both papers).
 */
export function precisionRecall(
  real: FloatArray,
  nReal: number,
  fake: FloatArray,
  nFake: number,
  d: number,
  options: { readonly k?: number } = {},
): PrecisionRecall {
  const op = "compute k-NN precision and recall";
  const k = options.k ?? 3;
  checkInt(op, "k", k, 1);
  checkInt(op, "feature dimension", d, 1);
  checkInt(op, "number of real samples", nReal, k + 1);
  checkInt(op, "number of fake samples", nFake, k + 1);
  checkShape(op, "real features", real, nReal, d);
  checkShape(op, "fake features", fake, nFake, d);
  checkFinite(op, "real features", real, d);
  checkFinite(op, "fake features", fake, d);

  const realRadii = knnRadii2(real, nReal, d, k);
  const fakeRadii = knnRadii2(fake, nFake, d, k);
  const realInFakeBall = new Uint8Array(nReal); // recall
  const realBallHit = new Uint8Array(nReal); // coverage
  let fakeInRealBall = 0; // precision
  let ballsHoldingFakes = 0; // density
  for (let f = 0; f < nFake; f++) {
    let inside = false;
    const rf = fakeRadii[f]!;
    for (let r = 0; r < nReal; r++) {
      const v = dist2(fake, f, real, r, d);
      if (v <= realRadii[r]!) {
        inside = true;
        ballsHoldingFakes++;
        realBallHit[r] = 1;
      }
      if (v <= rf) realInFakeBall[r] = 1;
    }
    if (inside) fakeInRealBall++;
  }
  let recallHits = 0;
  let coverageHits = 0;
  for (let r = 0; r < nReal; r++) {
    recallHits += realInFakeBall[r]!;
    coverageHits += realBallHit[r]!;
  }
  return {
    precision: fakeInRealBall / nFake,
    recall: recallHits / nReal,
    density: ballsHoldingFakes / (k * nFake),
    coverage: coverageHits / nReal,
    k,
    nReal,
    nFake,
  };
}
