/**
 * Ordinary least squares for the ANOVA's linear models: min ‖y − Xβ‖² by Householder QR that
 * detects rank deficiency.
 *
 * Columns are taken in the given order; a column whose part orthogonal to the columns already taken
 * is below `ALIAS_TOLERANCE` of its own norm is *aliased* (a linear combination of earlier columns,
 * as dummy columns of a confounded factor are) and is skipped: its coefficient is 0 and it does not
 * count towards the rank. This is QR with the simplest pivoting rule, "drop the dependent column",
 * which keeps the remaining coefficients interpretable in the caller's order. The fitted values and
 * the residual sum of squares do not depend on which of several aliased columns is dropped.
 *
 * The residual sum of squares is read off the transformed response (the tail ‖(Qᵀy)[rank:]‖²),
 * which is the numerically stable way. `src/metrics/linalg.ts` has only symmetric eigensolvers, so
 * this module stands alone. Matrices are flat row-major (`x[i * cols + j]`); inputs are never
 * modified. O(n · cols²); meant for designs of up to a few thousand rows and tens of columns.
 */
import { StatsInputError } from "./errors.ts";

/** A column is aliased when its residual norm after projection is below this fraction of its norm. */
export const ALIAS_TOLERANCE = 1e-9;

export interface LeastSquaresFit {
  /** β, one per column of X; 0 for aliased columns. */
  readonly coefficients: Float64Array;
  /** The number of linearly independent columns taken. */
  readonly rank: number;
  /** Indices of the columns skipped as linear combinations of earlier ones (or all zero). */
  readonly aliased: readonly number[];
  /** ‖y − Xβ‖². */
  readonly rss: number;
}

function checkInput(x: ArrayLike<number>, rows: number, cols: number, y: ArrayLike<number>) {
  const operation = "fit a least-squares model";
  if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(cols) || cols < 0) {
    throw new StatsInputError(
      operation,
      `need rows ≥ 1 and cols ≥ 0 (integers), got ${rows} × ${cols}`,
    );
  }
  if (x.length !== rows * cols) {
    throw new StatsInputError(
      operation,
      `design matrix has ${x.length} values, expected ${rows} × ${cols}`,
    );
  }
  if (y.length !== rows) {
    throw new StatsInputError(operation, `response has ${y.length} values, expected ${rows}`);
  }
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!)) {
      throw new StatsInputError(
        operation,
        `design matrix holds ${x[i]} at row ${Math.floor(i / cols)}, column ${i % cols}`,
      );
    }
  }
  for (let i = 0; i < rows; i++) {
    if (!Number.isFinite(y[i]!)) {
      throw new StatsInputError(operation, `response holds ${y[i]} at row ${i}`);
    }
  }
}

/** Applies the reflector I − 2vvᵀ/(vᵀv), v nonzero on rows `from…`, to `target` in place. */
function reflect(v: Float64Array, vNormSquared: number, from: number, target: Float64Array) {
  let dot = 0;
  for (let i = from; i < v.length; i++) dot += v[i]! * target[i]!;
  const scale = (2 * dot) / vNormSquared;
  for (let i = from; i < v.length; i++) target[i] = target[i]! - scale * v[i]!;
}

/** Least squares of `y` (length `rows`) on the `rows × cols` row-major design `x`. */
export function leastSquares(
  x: ArrayLike<number>,
  rows: number,
  cols: number,
  y: ArrayLike<number>,
): LeastSquaresFit {
  checkInput(x, rows, cols, y);
  // Column-major working copies: each reflector touches contiguous memory.
  const columns: Float64Array[] = [];
  const norms: number[] = [];
  for (let j = 0; j < cols; j++) {
    const column = new Float64Array(rows);
    for (let i = 0; i < rows; i++) column[i] = x[i * cols + j]!;
    let squares = 0;
    for (let i = 0; i < rows; i++) squares += column[i]! * column[i]!;
    columns.push(column);
    norms.push(Math.sqrt(squares));
  }
  const qty = Float64Array.from(y);
  const taken: number[] = [];
  const aliased: number[] = [];
  for (let j = 0; j < cols; j++) {
    const column = columns[j]!;
    const k = taken.length;
    let tail = 0;
    for (let i = k; i < rows; i++) tail += column[i]! * column[i]!;
    const tailNorm = Math.sqrt(tail);
    if (k >= rows || norms[j] === 0 || tailNorm <= ALIAS_TOLERANCE * norms[j]!) {
      aliased.push(j);
      continue;
    }
    // Householder vector mapping column[k:] onto −sign(column[k]) ‖column[k:]‖ e_k.
    const alpha = column[k]! >= 0 ? -tailNorm : tailNorm;
    const v = new Float64Array(rows);
    for (let i = k; i < rows; i++) v[i] = column[i]!;
    v[k] = v[k]! - alpha;
    const vNormSquared = tail - column[k]! * column[k]! + v[k]! * v[k]!;
    for (let i = k; i < rows; i++) column[i] = 0;
    column[k] = alpha;
    for (let l = j + 1; l < cols; l++) reflect(v, vNormSquared, k, columns[l]!);
    reflect(v, vNormSquared, k, qty);
    taken.push(j);
  }
  const rank = taken.length;
  // R β_taken = (Qᵀy)[:rank], R upper triangular with R[t][s] = columns[taken[s]][t].
  const coefficients = new Float64Array(cols);
  for (let t = rank - 1; t >= 0; t--) {
    let sum = qty[t]!;
    for (let s = t + 1; s < rank; s++) sum -= columns[taken[s]!]![t]! * coefficients[taken[s]!]!;
    coefficients[taken[t]!] = sum / columns[taken[t]!]![t]!;
  }
  let rss = 0;
  for (let i = rank; i < rows; i++) rss += qty[i]! * qty[i]!;
  return { coefficients, rank, aliased, rss };
}
