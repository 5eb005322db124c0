/**
 * Student's t distribution: the tail and the quantile, for confidence intervals over replicates
 * (docs/methods.md#confidence-intervals).
 *
 * - `tSurvival(t, nu)` = P(T > t) for T ~ t(ν): for t ≥ 0 it is ½·I_{ν/(ν+t²)}(ν/2, ½), with the
 *   regularised incomplete beta of fDistribution.ts (so its accuracy, about 1e-12 absolute);
 *   for t < 0, 1 − P(T > −t).
 * - `tQuantile(p, nu)`: the t with P(T ≤ t) = p, by bisection on the monotone tail to 1e-12
 *   (relative); symmetric, so only the upper half is searched.
 */
import { StatsInputError, StatsMathError } from "./errors.ts";
import { regularizedIncompleteBeta } from "./fDistribution.ts";

const checkDegreesOfFreedom = (operation: string, nu: number) => {
  if (!(nu > 0) || !Number.isFinite(nu)) {
    throw new StatsInputError(
      operation,
      `degrees of freedom must be a finite number > 0, got ${nu}`,
    );
  }
};

/** P(T > t) for T ~ t(ν); NaN for t = NaN. */
export function tSurvival(t: number, nu: number): number {
  checkDegreesOfFreedom("compute a t-distribution tail probability", nu);
  if (Number.isNaN(t)) return Number.NaN;
  if (t === Infinity) return 0;
  if (t === -Infinity) return 1;
  const upper = 0.5 * regularizedIncompleteBeta(nu / (nu + t * t), nu / 2, 0.5);
  return t >= 0 ? upper : 1 - upper;
}

/** The p-quantile of t(ν), for 0 < p < 1: t_{0.975, 2} = 4.303, t_{0.975, 29} = 2.045. */
export function tQuantile(p: number, nu: number): number {
  const operation = "compute a t quantile";
  if (!(p > 0 && p < 1)) throw new StatsInputError(operation, `p must lie in (0, 1), got ${p}`);
  checkDegreesOfFreedom(operation, nu);
  if (p === 0.5) return 0;
  if (p < 0.5) return -tQuantile(1 - p, nu);
  const tail = 1 - p;
  let low = 0;
  let high = 1;
  while (tSurvival(high, nu) > tail) {
    high *= 2;
    if (!Number.isFinite(high)) {
      throw new StatsMathError(operation, `no finite bracket at p = ${p}, ν = ${nu}`);
    }
  }
  // P(T > t) decreases in t, so bisection on [low, high] converges.
  for (let i = 0; i < 400 && high - low > 1e-12 * Math.max(1, high); i++) {
    const mid = 0.5 * (low + high);
    if (tSurvival(mid, nu) > tail) low = mid;
    else high = mid;
  }
  return 0.5 * (low + high);
}
