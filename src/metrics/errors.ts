/**
 * Errors of the metrics module, as a closed union of tagged classes whose message is built from
 * their fields (Effect style). Bad inputs (shape mismatch, NaN/Inf features, unknown option) are
 * `MetricsInputError`; a numerical routine that fails on valid input (an eigensolver that does not
 * converge) is `MetricsMathError`. Also holds the shared input checks; no other logic lives here.
 */

export class MetricsInputError extends Error {
  readonly _tag = "MetricsInputError" as const;
  constructor(readonly operation: string, readonly reason: string) {
    super(`cannot ${operation}: ${reason}`);
    this.name = "MetricsInputError";
  }
}

export class MetricsMathError extends Error {
  readonly _tag = "MetricsMathError" as const;
  constructor(readonly operation: string, readonly reason: string) {
    super(`cannot ${operation}: ${reason}`);
    this.name = "MetricsMathError";
  }
}

export type MetricsError = MetricsInputError | MetricsMathError;

/** A flat array of numbers as the caller's classifier hands it over. */
export type FloatArray = Float32Array | Float64Array;

/** Throws unless `value` is an integer ≥ `min`. */
export function checkInt(operation: string, name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new MetricsInputError(operation, `${name} must be an integer ≥ ${min}, got ${value}`);
  }
}

/** Throws unless `data` holds exactly `rows × cols` values. */
export function checkShape(
  operation: string,
  name: string,
  data: ArrayLike<number>,
  rows: number,
  cols: number,
): void {
  if (data.length !== rows * cols) {
    throw new MetricsInputError(
      operation,
      `${name} has ${data.length} values, expected ${rows} × ${cols} = ${rows * cols}`,
    );
  }
}

/** Throws naming the first non-finite value of `data` (row and column for a `cols`-wide matrix). */
export function checkFinite(
  operation: string,
  name: string,
  data: ArrayLike<number>,
  cols = 1,
): void {
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    if (!Number.isFinite(x)) {
      const where = cols > 1 ? `row ${Math.floor(i / cols)}, column ${i % cols}` : `index ${i}`;
      throw new MetricsInputError(operation, `${name} holds ${x} at ${where}`);
    }
  }
}
