/**
 * A table cell that aggregates replicates: the mean with its Student-t 95% interval and n, and
 * every replicate's value by seed, so tables.json keeps the raw numbers next to the aggregate
 * (docs/replicates.md). Reports print it as `mean ± half-width (n = k)`.
 */
import { formatMeanInterval, meanInterval } from "./confidenceInterval.ts";

export interface IntervalCell {
  readonly mean: number;
  /** Half-width of the interval; null for n = 1 (no interval). */
  readonly halfWidth: number | null;
  readonly low: number | null;
  readonly high: number | null;
  readonly level: number;
  readonly n: number;
  /** The seeds and their values, in the same order. */
  readonly seeds: readonly number[];
  readonly values: readonly number[];
}

/**
 * The cell of seed → value (non-finite values are left out of the aggregate and the seeds list);
 * null when no value is finite.
 */
export const intervalCell = (
  bySeed: ReadonlyMap<number, number>,
  level = 0.95,
): IntervalCell | null => {
  const pairs = [...bySeed].filter(([, x]) => Number.isFinite(x)).sort((a, b) => a[0] - b[0]);
  if (pairs.length === 0) return null;
  const ci = meanInterval(pairs.map(([, x]) => x), level);
  const finite = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    mean: ci.mean,
    halfWidth: finite(ci.halfWidth),
    low: finite(ci.low),
    high: finite(ci.high),
    level,
    n: ci.n,
    seeds: pairs.map(([s]) => s),
    values: pairs.map(([, x]) => x),
  };
};

/** `0.123 ± 0.045 (n = 3)`, or `0.123 (n = 1)`. */
export const formatIntervalCell = (c: IntervalCell, digits = 3): string =>
  `${
    formatMeanInterval({
      n: c.n,
      mean: c.mean,
      sd: NaN,
      halfWidth: c.halfWidth ?? NaN,
      low: c.low ?? NaN,
      high: c.high ?? NaN,
      level: c.level,
    }, digits)
  } (n = ${c.n})`;
