/**
 * The mean of replicate values with its Student-t confidence interval
 * (docs/methods.md#confidence-intervals):
 *
 *   mean ± t_{1−α/2, n−1} · s / √n,   s² = Σ(xᵢ − mean)² / (n − 1).
 *
 * With n = 1 there is no spread to estimate: the half-width is NaN and the interval is unknown
 * (reports print the value alone and "n = 1"). Non-finite values are an input error: a diverged
 * replicate must be reported as such, not averaged.
 */
import { StatsInputError } from "./errors.ts";
import { tQuantile } from "./tDistribution.ts";

export interface MeanInterval {
  readonly n: number;
  readonly mean: number;
  /** Sample standard deviation (n − 1 in the denominator); NaN for n = 1. */
  readonly sd: number;
  /** t_{1−α/2, n−1} · s / √n; NaN for n = 1. */
  readonly halfWidth: number;
  readonly low: number;
  readonly high: number;
  /** The confidence level, e.g. 0.95. */
  readonly level: number;
}

/** mean ± the Student-t half-width at `level` (default 0.95) of one or more finite values. */
export function meanInterval(values: readonly number[], level = 0.95): MeanInterval {
  const operation = "compute a confidence interval of the mean";
  if (values.length === 0) throw new StatsInputError(operation, "no values");
  if (!(level > 0 && level < 1)) {
    throw new StatsInputError(operation, `level must lie in (0, 1), got ${level}`);
  }
  const bad = values.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) {
    throw new StatsInputError(operation, `value ${bad} is not a finite number (${values[bad]})`);
  }
  const n = values.length;
  const mean = values.reduce((s, x) => s + x, 0) / n;
  if (n === 1) {
    return { n, mean, sd: NaN, halfWidth: NaN, low: NaN, high: NaN, level };
  }
  const sd = Math.sqrt(values.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
  const halfWidth = tQuantile(1 - (1 - level) / 2, n - 1) * sd / Math.sqrt(n);
  return { n, mean, sd, halfWidth, low: mean - halfWidth, high: mean + halfWidth, level };
}

const short = (x: number, digits: number) => Number(x.toPrecision(digits)).toString();

/** `1.23 ± 0.045` (n ≥ 2) or `1.23` (n = 1); the caller states n and the level nearby. */
export const formatMeanInterval = (ci: MeanInterval, digits = 3): string =>
  Number.isFinite(ci.halfWidth)
    ? `${short(ci.mean, digits)} ± ${short(ci.halfWidth, 2)}`
    : short(ci.mean, digits);
