/**
 * Class-level metrics of a classifier's outputs on samples (docs/methods.md#fd-clf): the histogram
 * of predicted classes, its entropy and coverage (to detect mode collapse, e.g. in the `dmd` study),
 * the mean confidence, and the classifier's own accuracy on labelled data (reported with every
 * metric that uses it).
 *
 * Scores are flat `[n, k]` row-major arrays, either logits or probabilities; which one is always
 * said explicitly where it matters (the arg-max is the same for both).
 *
 * Not here: running the classifier, Inception Score (needs a calibrated ImageNet classifier).
 */
import { checkFinite, checkInt, checkShape, type FloatArray, MetricsInputError } from "./errors.ts";

/** What a score array holds. */
export type ScoreKind = "logits" | "probabilities";

/** Entropy of a class histogram. */
export interface ClassEntropy {
  /** −Σ pᵢ log pᵢ over the histogram's shares, in nats. */
  readonly nats: number;
  /** nats / log K: 1 for a uniform histogram, 0 when one class takes everything. */
  readonly normalised: number;
}

/** Everything `classStats` measures on one set of samples. */
export interface ClassStats {
  /** [k] number of samples predicted as each class. */
  readonly counts: Int32Array;
  readonly entropy: ClassEntropy;
  /** Fraction of classes predicted at least once. */
  readonly coverage: number;
  /** Fraction of classes predicted for at least `minShare` of the samples (and at least once). */
  readonly coverageAtShare: number;
  readonly minShare: number;
  /** Mean over samples of the largest class probability. */
  readonly meanMaxProbability: number;
}

/** Probability rows must sum to 1 within this (float32 softmax outputs do, by far). */
const PROBABILITY_SUM_TOLERANCE = 1e-3;

function checkScores(op: string, scores: FloatArray, n: number, k: number): void {
  checkInt(op, "number of samples", n, 1);
  checkInt(op, "number of classes", k, 1);
  checkShape(op, "scores", scores, n, k);
  checkFinite(op, "scores", scores, k);
}

function checkKind(op: string, kind: string): asserts kind is ScoreKind {
  if (kind !== "logits" && kind !== "probabilities") {
    throw new MetricsInputError(
      op,
      `unknown score kind "${kind}" (use "logits" or "probabilities")`,
    );
  }
}

/** Arg-max class of each row of the `[n, k]` scores (first index on ties). */
export function predictedClasses(scores: FloatArray, n: number, k: number): Int32Array {
  checkScores("find predicted classes", scores, n, k);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const row = i * k;
    let best = 0;
    for (let j = 1; j < k; j++) if (scores[row + j]! > scores[row + best]!) best = j;
    out[i] = best;
  }
  return out;
}

/** `[k]` counts of predicted (arg-max) classes of the `[n, k]` logits or probabilities. */
export function classHistogram(scores: FloatArray, n: number, k: number): Int32Array {
  const counts = new Int32Array(k);
  for (const c of predictedClasses(scores, n, k)) counts[c] = counts[c]! + 1;
  return counts;
}

function histogramTotal(op: string, counts: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (!Number.isFinite(c) || c < 0) {
      throw new MetricsInputError(op, `histogram holds ${c} at class ${i}`);
    }
    total += c;
  }
  if (total === 0) throw new MetricsInputError(op, "histogram is empty (all counts are 0)");
  return total;
}

/**
 * Entropy of the class histogram `counts` (K = counts.length ≥ 2 classes), in nats and normalised
 * by log K. Counts may be non-integer weights.
 */
export function classEntropy(counts: ArrayLike<number>): ClassEntropy {
  const op = "compute class entropy";
  if (counts.length < 2) {
    throw new MetricsInputError(op, `need at least 2 classes, got ${counts.length}`);
  }
  const total = histogramTotal(op, counts);
  let nats = 0;
  for (let i = 0; i < counts.length; i++) {
    const p = counts[i]! / total;
    if (p > 0) nats -= p * Math.log(p);
  }
  nats = Math.max(0, nats);
  return { nats, normalised: Math.min(1, nats / Math.log(counts.length)) };
}

/**
 * Fraction of the K = counts.length classes that were predicted at least once and for at least
 * `minShare` of all samples (minShare = 0: at least once; 0.5/K: at least half their fair share).
 */
export function coverage(counts: ArrayLike<number>, minShare = 0): number {
  const op = "compute class coverage";
  if (!(minShare >= 0 && minShare <= 1)) {
    throw new MetricsInputError(op, `minShare must lie in [0, 1], got ${minShare}`);
  }
  if (counts.length < 1) throw new MetricsInputError(op, "histogram has no classes");
  const total = histogramTotal(op, counts);
  let covered = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c > 0 && c >= minShare * total) covered++;
  }
  return covered / counts.length;
}

/** Row-wise softmax of `[n, k]` logits (max-subtracted), in float64. */
export function softmaxRows(logits: FloatArray, n: number, k: number): Float64Array {
  checkScores("compute a softmax", logits, n, k);
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const row = i * k;
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, logits[row + j]!);
    let sum = 0;
    for (let j = 0; j < k; j++) {
      const e = Math.exp(logits[row + j]! - max);
      out[row + j] = e;
      sum += e;
    }
    for (let j = 0; j < k; j++) out[row + j] = out[row + j]! / sum;
  }
  return out;
}

/** The scores as probabilities: softmax of logits, or checked probabilities as they are. */
function asProbabilities(
  op: string,
  scores: FloatArray,
  n: number,
  k: number,
  kind: ScoreKind,
): FloatArray {
  if (kind === "logits") return softmaxRows(scores, n, k);
  checkScores(op, scores, n, k);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < k; j++) {
      const p = scores[i * k + j]!;
      if (p < 0 || p > 1) {
        throw new MetricsInputError(op, `probability ${p} outside [0, 1] at row ${i} (logits?)`);
      }
      sum += p;
    }
    if (Math.abs(sum - 1) > PROBABILITY_SUM_TOLERANCE) {
      throw new MetricsInputError(op, `probabilities of row ${i} sum to ${sum}, not 1 (logits?)`);
    }
  }
  return scores;
}

/** Mean over the `n` rows of the largest class probability (the classifier's mean confidence). */
export function meanMaxProbability(
  scores: FloatArray,
  n: number,
  k: number,
  kind: ScoreKind,
): number {
  const op = "compute the mean max-probability";
  checkKind(op, kind);
  const probs = asProbabilities(op, scores, n, k, kind);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let max = 0;
    for (let j = 0; j < k; j++) max = Math.max(max, probs[i * k + j]!);
    sum += max;
  }
  return sum / n;
}

/**
 * Top-1 accuracy of `[n, k]` logits (or probabilities) against integer `labels` (n = labels.length,
 * k inferred from the sizes).
 */
export function accuracy(scores: FloatArray, labels: ArrayLike<number>): number {
  const op = "compute classifier accuracy";
  const n = labels.length;
  checkInt(op, "number of labels", n, 1);
  const k = scores.length / n;
  if (!Number.isInteger(k) || k < 1) {
    throw new MetricsInputError(op, `${scores.length} scores do not split into ${n} rows`);
  }
  const predicted = predictedClasses(scores, n, k);
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const label = labels[i]!;
    if (!Number.isInteger(label) || label < 0 || label >= k) {
      throw new MetricsInputError(op, `label ${label} at index ${i} is not a class in [0, ${k})`);
    }
    if (predicted[i] === label) correct++;
  }
  return correct / n;
}

/** Histogram, entropy, coverage (at least once, and at least `minShare`) and mean confidence. */
export function classStats(
  scores: FloatArray,
  n: number,
  k: number,
  options: { readonly kind: ScoreKind; readonly minShare?: number },
): ClassStats {
  const minShare = options.minShare ?? 0.5 / k;
  const counts = classHistogram(scores, n, k);
  return {
    counts,
    entropy: classEntropy(counts),
    coverage: coverage(counts),
    coverageAtShare: coverage(counts, minShare),
    minShare,
    meanMaxProbability: meanMaxProbability(scores, n, k, options.kind),
  };
}
