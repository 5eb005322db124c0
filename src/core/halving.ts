/**
 * Successive halving (docs/halving.md): a sweep option that trains every arm to the first rung
 * of a budget param (e.g. `tuneSteps`), ranks the arms by a metric at equal budget, lets the best
 * `keep` fraction go on to the next rung, and so on to the last rung.
 *
 * This module is the pure part: the option's schema and `-p halving…` overrides, how many arms
 * each rung keeps, the work it saves, and the ranking rule. Planning the rungs is
 * plan/halvingPlan.ts; running them is halvingRun.ts.
 *
 * The ranking rule:
 *  - an arm's score at a rung is its metric there; with replicates, the mean over its seeds
 *    (all seeds of an arm go on or stop together);
 *  - an arm whose metric is missing or not finite at a rung (NaN, ±∞: a diverged run) ranks
 *    after every finite one; so does an arm with any non-finite replicate;
 *  - ties (equal scores, or two non-finite arms) keep the sweep's arm order: the arm declared
 *    first ranks first. Decisions are therefore deterministic and repeat exactly on a re-run.
 */
import * as v from "valibot";

const Rungs = v.pipe(
  v.array(v.pipe(v.number(), v.integer(), v.minValue(1))),
  v.minLength(2, "halving needs at least two rungs"),
  v.check(
    (rs) => rs.every((r, i) => i === 0 || r > rs[i - 1]!),
    "rungs must increase strictly (budgets such as [25, 50, 100])",
  ),
);

export const HalvingSpec = v.strictObject({
  /** `<arm output>.<field>`: the value's field compared at every rung, e.g. `eval.targetMse`. */
  metric: v.pipe(
    v.string(),
    v.regex(
      /^[\w-]+(\.[\w-]+)+$/,
      'metric names an arm output and a field of its value, e.g. "eval.targetMse"',
    ),
  ),
  mode: v.picklist(["min", "max"], 'mode is "min" (lower is better) or "max"'),
  /** Values of the budget param, increasing; the last is the full budget. */
  rungs: Rungs,
  /** Fraction of the arms that goes on at each rung, in (0, 1]; 1 stops nothing. */
  keep: v.pipe(
    v.number(),
    v.gtValue(0, "keep must lie in (0, 1]"),
    v.maxValue(1, "keep must lie in (0, 1]"),
  ),
  /** The param the rungs set; default: the pipeline's declared `budget`. */
  budget: v.optional(v.string()),
});
export type HalvingSpec = v.InferOutput<typeof HalvingSpec>;

/** How many of `n` arms go on past a rung: ⌈n · keep⌉, at least one. */
export const keepCount = (n: number, keep: number): number =>
  n === 0 ? 0 : Math.max(1, Math.ceil(n * keep - 1e-9));

/** Arms alive at each rung, from all `n` at the first. */
export const armsPerRung = (n: number, rungs: number, keep: number): number[] => {
  const counts = [n];
  for (let r = 1; r < rungs; r++) counts.push(keepCount(counts[r - 1]!, keep));
  return counts;
};

/** Budget units (e.g. steps) spent by all arms: with halving, and with every arm to the end. */
export const budgetWork = (n: number, spec: Pick<HalvingSpec, "rungs" | "keep">) => {
  const counts = armsPerRung(n, spec.rungs.length, spec.keep);
  const withHalving = counts.reduce(
    (sum, c, r) => sum + c * (spec.rungs[r]! - (r === 0 ? 0 : spec.rungs[r - 1]!)),
    0,
  );
  return { counts, withHalving, without: n * spec.rungs.at(-1)! };
};

/** One arm (its replicate seeds together) at one rung. */
export interface RungScore {
  readonly arm: string;
  /** The metric of each replicate seed (one value without replicates); null: not found. */
  readonly values: readonly (number | null)[];
}

export interface RankedArm {
  readonly arm: string;
  readonly rank: number;
  /** The mean over the seeds; null when any seed's metric is missing or not finite. */
  readonly score: number | null;
  readonly values: readonly (number | null)[];
  readonly continues: boolean;
}

/** Ranks the arms of one rung (in sweep order) and marks the `keep` best as continuing. */
export const rankRung = (
  scores: readonly RungScore[],
  mode: "min" | "max",
  kept: number,
): RankedArm[] => {
  const scored = scores.map((s, order) => {
    const finite = s.values.length > 0 && s.values.every((x) => x !== null && Number.isFinite(x));
    const mean = finite ? s.values.reduce<number>((a, x) => a + x!, 0) / s.values.length : null;
    return { ...s, order, score: mean };
  });
  const sign = mode === "min" ? 1 : -1;
  scored.sort((a, b) =>
    a.score === null || b.score === null
      ? (a.score === null ? 1 : 0) - (b.score === null ? 1 : 0) || a.order - b.order
      : sign * (a.score - b.score) || a.order - b.order
  );
  return scored.map((s, i) => ({
    arm: s.arm,
    rank: i + 1,
    score: s.score,
    values: s.values,
    continues: i < kept,
  }));
};

/** Reads `path` (dot-separated) out of a stage's value; null unless it is a number. */
export const metricOf = (value: unknown, path: readonly string[]): number | null => {
  let x: unknown = value;
  for (const k of path) {
    if (x === null || typeof x !== "object") return null;
    x = (x as Record<string, unknown>)[k];
  }
  return typeof x === "number" ? x : null;
};

/** The override `--extend <arm>` records (so `rerun` repeats it). */
export const extendOverride = (arm: string) => `halving.extend=${arm}`;

export interface HalvingOverrides {
  /** `-p halving=off`: the sweep runs without halving. */
  readonly off: boolean;
  /** `-p halving.<field>=<value>`, by field. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** `-p halving.extend=<arm>` (`--extend <arm>`): continue these sweep arms to the last rung. */
  readonly extend: readonly string[];
  readonly errors: readonly string[];
  readonly rest: string[];
}

const parseValue = (text: string): unknown => {
  const t = text.trim();
  const fraction = /^(\d+)\s*\/\s*(\d+)$/.exec(t);
  if (fraction) return Number(fraction[1]) / Number(fraction[2]);
  try {
    return JSON.parse(t);
  } catch {
    return t;
  }
};

/**
 * Takes `-p halving=off` and `-p halving.<field>=<value>` (e.g. `halving.keep=1` to continue
 * every arm, `halving.rungs=[50,100,200]`, `halving.keep=1/3`) out of the `-p` list, and
 * `-p halving.extend=<arm>` (what `--extend <arm>` records): only that sweep arm, to the last rung.
 */
export const takeHalvingOverrides = (raw: readonly string[]): HalvingOverrides => {
  let off = false;
  const fields: Record<string, unknown> = {};
  const extend: string[] = [];
  const errors: string[] = [];
  const rest: string[] = [];
  const known = Object.keys(HalvingSpec.entries);
  for (const arg of raw) {
    const m = /^\s*halving(?:\.([\w-]+))?\s*=(.*)$/.exec(arg);
    if (!m) {
      rest.push(arg);
      continue;
    }
    const [, field, value] = m;
    if (field === "extend") extend.push(value!.trim());
    else if (field === undefined) {
      if (value!.trim() === "off") off = true;
      else {errors.push(
          `-p ${arg}: only "halving=off" sets halving whole; set its fields with -p halving.<field>=…`,
        );}
    } else if (!known.includes(field)) {
      errors.push(
        `-p ${arg}: halving has no field "${field}"; known: ${known.join(", ")}, and extend`,
      );
    } else fields[field] = parseValue(value!);
  }
  return { off, fields, extend, errors, rest };
};
