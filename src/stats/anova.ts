/**
 * Analysis of variance of a metric over categorical factors (docs/methods.md#anova): one-way and
 * main-effects ANOVA, F = MS_between / MS_within, with degrees of freedom and p-values.
 *
 * - `oneWayAnova(obs, factor)`: the classic one-way table from group means,
 *   SS_between = Σ_g n_g (ȳ_g − ȳ)², SS_within = Σ (y − ȳ_g)², df = (G − 1, n − G).
 * - `mainEffectsAnova(obs, factors)`: the additive model y = μ + Σ_factors effect(level) + ε fitted
 *   by least squares (`leastSquares.ts`) with treatment (dummy) coding, the first level of each
 *   factor in sorted order as reference. The adapter grid is unbalanced (only valid
 *   (input, output) pairs exist), so sequential sums of squares would depend on the order of the
 *   factors; this uses **Type II** sums of squares instead: SS(A) = RSS(model without A) − RSS(full
 *   model), df(A) = rank(full) − rank(without A). Residual df = n − rank(full). For a balanced design
 *   Type II equals the classic SS. F = MS(A) / MS_residual; p = P(F(df_A, df_res) > F)
 *   (`fDistribution.ts`).
 *
 * Levels are the distinct strings observed for a factor, so a level without observations cannot
 * occur. Degenerate designs are reported, not thrown: they get NaN F and p, and `notes` says why:
 * - a factor with a single observed level, or one whose contrasts are all linear combinations of
 *   the other factors' (aliased), has df 0: ss 0, ms, f and p NaN;
 * - zero residual df (the model interpolates the data): residual ms, every f and p NaN;
 * - residual SS 0 with residual df > 0 (an exact fit): f = ∞ and p = 0 for factors with SS > 0.
 * Sums of squares below 1e-12 of the total SS (round-off of an exact 0) are set to 0.
 * Malformed input (no observations, a missing or non-string level, a non-finite response, an empty
 * or duplicated factor list) throws `StatsInputError` naming the observation and factor.
 *
 * Not here: interactions, Type III sums of squares, post-hoc tests, weights.
 */
import { StatsInputError } from "./errors.ts";
import { fSurvival } from "./fDistribution.ts";
import { leastSquares } from "./leastSquares.ts";

export interface Observation {
  readonly levels: Readonly<Record<string, string>>;
  readonly y: number;
}

export interface AnovaRow {
  readonly factor: string;
  readonly df: number;
  readonly ss: number;
  readonly ms: number;
  readonly f: number;
  readonly p: number;
}

export interface AnovaTable {
  /** Sorted by F, largest first; rows with NaN F last, otherwise in the order the factors came. */
  readonly rows: readonly AnovaRow[];
  readonly residual: { readonly df: number; readonly ss: number; readonly ms: number };
  readonly n: number;
  /** Why some F or p is NaN or infinite (degenerate designs); absent or empty when none is. */
  readonly notes?: readonly string[];
}

/** Sums of squares below this fraction of the total are round-off of an exact zero. */
const NEGLIGIBLE_SS = 1e-12;

/** The observations as numbers: per factor, each observation's level index, and the responses. */
interface Coded {
  readonly y: Float64Array;
  /** levelIndex[f][i]: index into levelNames[f] of observation i's level of factor f. */
  readonly levelIndex: readonly Int32Array[];
  /** Sorted distinct levels of each factor. */
  readonly levelNames: readonly (readonly string[])[];
  readonly mean: number;
  readonly totalSs: number;
}

function code(operation: string, obs: readonly Observation[], factors: readonly string[]): Coded {
  if (obs.length === 0) throw new StatsInputError(operation, "no observations");
  if (factors.length === 0) throw new StatsInputError(operation, "no factors given");
  const seen = new Set<string>();
  for (const factor of factors) {
    if (typeof factor !== "string" || factor === "") {
      throw new StatsInputError(operation, `factor names must be non-empty strings, got ${factor}`);
    }
    if (seen.has(factor)) throw new StatsInputError(operation, `factor "${factor}" given twice`);
    seen.add(factor);
  }
  const n = obs.length;
  const y = new Float64Array(n);
  obs.forEach((o, i) => {
    if (typeof o.y !== "number" || !Number.isFinite(o.y)) {
      throw new StatsInputError(
        operation,
        `observation ${i} has response ${o.y}; every response must be a finite number`,
      );
    }
    y[i] = o.y;
  });
  const levelIndex: Int32Array[] = [];
  const levelNames: string[][] = [];
  for (const factor of factors) {
    const raw = obs.map((o, i) => {
      const level = o.levels[factor];
      if (typeof level !== "string") {
        const known = Object.keys(o.levels).map((k) => `"${k}"`).join(", ") || "none";
        throw new StatsInputError(
          operation,
          `observation ${i} has no level (string) for factor "${factor}" (its factors: ${known})`,
        );
      }
      return level;
    });
    const names = [...new Set(raw)].sort();
    const position = new Map(names.map((name, k) => [name, k]));
    levelIndex.push(Int32Array.from(raw, (level) => position.get(level)!));
    levelNames.push(names);
  }
  let mean = 0;
  for (const v of y) mean += v / n;
  let totalSs = 0;
  for (const v of y) totalSs += (v - mean) ** 2;
  return { y, levelIndex, levelNames, mean, totalSs };
}

/** Rounds an SS that is round-off of zero (or slightly negative) to exactly 0. */
function cleanSs(ss: number, totalSs: number): number {
  return ss <= NEGLIGIBLE_SS * totalSs ? 0 : ss;
}

/** One factor's row: ms, F and p from its df and SS against the residual mean square. */
function factorRow(factor: string, df: number, ss: number, residualDf: number, residualMs: number) {
  if (df === 0 || residualDf === 0) {
    return { factor, df, ss, ms: df === 0 ? Number.NaN : ss / df, f: Number.NaN, p: Number.NaN };
  }
  const ms = ss / df;
  let f: number;
  if (residualMs > 0) f = ms / residualMs;
  else f = ms > 0 ? Number.POSITIVE_INFINITY : Number.NaN;
  return { factor, df, ss, ms, f, p: fSurvival(f, df, residualDf) };
}

/** Sorts rows by F, largest first, NaN last (stable: ties keep the factor order). */
function sortByF(rows: AnovaRow[]): AnovaRow[] {
  const key = (row: AnovaRow) => (Number.isNaN(row.f) ? Number.NEGATIVE_INFINITY : row.f);
  return rows
    .map((row, order) => ({ row, order }))
    .sort((a, b) => {
      if (Number.isNaN(a.row.f) !== Number.isNaN(b.row.f)) return Number.isNaN(a.row.f) ? 1 : -1;
      return key(b.row) - key(a.row) || a.order - b.order;
    })
    .map(({ row }) => row);
}

/** Notes on the residual shared by both tables. */
function residualNotes(n: number, parameters: number, residualDf: number, residualSs: number) {
  if (residualDf === 0) {
    return [
      `zero residual degrees of freedom (${n} observations, ${parameters} estimable ` +
      `parameters): the model interpolates the data, so every F and p is undefined (NaN)`,
    ];
  }
  if (residualSs === 0) {
    return [
      "residual SS is 0 (the model fits every observation exactly): " +
      "factors with SS > 0 get F = ∞ and p = 0, factors with SS 0 get NaN",
    ];
  }
  return [];
}

function table(
  rows: AnovaRow[],
  residualDf: number,
  residualSs: number,
  n: number,
  notes: string[],
): AnovaTable {
  const residualMs = residualDf === 0 ? Number.NaN : residualSs / residualDf;
  return {
    rows: sortByF(rows),
    residual: { df: residualDf, ss: residualSs, ms: residualMs },
    n,
    notes,
  };
}

/** One-way ANOVA of the responses over the levels of `factor`. */
export const oneWayAnova = (obs: readonly Observation[], factor: string): AnovaTable => {
  const coded = code(`run a one-way ANOVA over "${factor}"`, obs, [factor]);
  const { y, totalSs } = coded;
  const groups = coded.levelIndex[0]!;
  const names = coded.levelNames[0]!;
  const n = y.length;
  const g = names.length;
  const count = new Float64Array(g);
  const sum = new Float64Array(g);
  for (let i = 0; i < n; i++) {
    count[groups[i]!]! += 1;
    sum[groups[i]!]! += y[i]!;
  }
  const groupMean = Array.from(sum, (s, k) => s / count[k]!);
  let within = 0;
  for (let i = 0; i < n; i++) within += (y[i]! - groupMean[groups[i]!]!) ** 2;
  const { mean } = coded;
  let between = 0;
  for (let k = 0; k < g; k++) between += count[k]! * (groupMean[k]! - mean) ** 2;
  const withinSs = cleanSs(within, totalSs);
  const betweenSs = cleanSs(between, totalSs);
  const residualDf = n - g;
  const residualMs = residualDf === 0 ? Number.NaN : withinSs / residualDf;
  const notes = residualNotes(n, g, residualDf, withinSs);
  if (g === 1) {
    notes.push(
      `factor "${factor}" has a single observed level ("${names[0]}"): ` +
        "df 0, F and p undefined (NaN)",
    );
  }
  const row = factorRow(factor, g - 1, betweenSs, residualDf, residualMs);
  return table([row], residualDf, withinSs, n, notes);
};

/** Main-effects (additive) ANOVA with Type II sums of squares; see the module header. */
export const mainEffectsAnova = (
  obs: readonly Observation[],
  factors: readonly string[],
): AnovaTable => {
  const coded = code("run a main-effects ANOVA", obs, factors);
  const { y, levelIndex, levelNames, totalSs } = coded;
  const n = y.length;
  /**
   * RSS and rank of the additive model over every factor except `dropped` (−1: none). Design: an
   * intercept column, then (levels − 1) dummy columns per kept factor (level 0 is the reference).
   */
  const fit = (dropped: number) => {
    const keep = factors.map((_, f) => f !== dropped);
    const width = 1 + levelNames.reduce((w, names, f) => w + (keep[f] ? names.length - 1 : 0), 0);
    const x = new Float64Array(n * width);
    for (let i = 0; i < n; i++) {
      x[i * width] = 1;
      let offset = 1;
      for (let f = 0; f < factors.length; f++) {
        if (!keep[f]) continue;
        const level = levelIndex[f]![i]!;
        if (level > 0) x[i * width + offset + level - 1] = 1;
        offset += levelNames[f]!.length - 1;
      }
    }
    const result = leastSquares(x, n, width, y);
    return { rss: cleanSs(result.rss, totalSs), rank: result.rank };
  };
  const full = fit(-1);
  const residualDf = n - full.rank;
  const residualMs = residualDf === 0 ? Number.NaN : full.rss / residualDf;
  const notes = residualNotes(n, full.rank, residualDf, full.rss);
  const rows = factors.map((factor, f) => {
    const contrasts = levelNames[f]!.length - 1;
    const reduced = fit(f);
    const df = full.rank - reduced.rank;
    const ss = df === 0 ? 0 : cleanSs(reduced.rss - full.rss, totalSs);
    if (contrasts === 0) {
      notes.push(
        `factor "${factor}" has a single observed level ("${levelNames[f]![0]}"): ` +
          "df 0, F and p undefined (NaN)",
      );
    } else if (df === 0) {
      notes.push(
        `factor "${factor}" is aliased with the other factors (its ${contrasts} contrasts are ` +
          "linear combinations of theirs): Type II df 0, F and p undefined (NaN)",
      );
    } else if (df < contrasts) {
      notes.push(
        `factor "${factor}" is partly aliased with the other factors: ${df} of its ${contrasts} ` +
          "contrasts are estimable beyond them",
      );
    }
    return factorRow(factor, df, ss, residualDf, residualMs);
  });
  return table(rows, residualDf, full.rss, n, notes);
};
