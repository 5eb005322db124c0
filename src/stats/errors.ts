/**
 * Errors of the statistics module, as a closed union of tagged classes whose message is built from
 * their fields (Effect style). Bad input (no observations, a missing factor level, a non-finite
 * response, a degree of freedom ≤ 0, a matrix of the wrong size) is `StatsInputError`. Numerical
 * trouble on valid input (a continued fraction that does not converge) is `StatsMathError`.
 *
 * Degenerate but valid designs are *not* errors: a factor with no estimable contrast, or zero
 * residual degrees of freedom, yields NaN for F and p, with the reason in `AnovaTable.notes`.
 */

export class StatsInputError extends Error {
  readonly _tag = "StatsInputError" as const;
  constructor(readonly operation: string, readonly reason: string) {
    super(`cannot ${operation}: ${reason}`);
    this.name = "StatsInputError";
  }
}

export class StatsMathError extends Error {
  readonly _tag = "StatsMathError" as const;
  constructor(readonly operation: string, readonly reason: string) {
    super(`cannot ${operation}: ${reason}`);
    this.name = "StatsMathError";
  }
}

export type StatsError = StatsInputError | StatsMathError;
