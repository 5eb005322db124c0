/**
 * Replicates: every arm of a sweep run with seeds 0..n−1 (docs/replicates.md).
 *
 * One design: a pipeline names the param that carries its random seed (`replicateSeed`, e.g.
 * "trainSeed"); `replicates: n` (experiment or profile field, or `--replicates n`, which wins)
 * copies every arm n times with that param set to 0..n−1, and the arm id shows the replicate
 * (`target=eps,weighting=min-snr-5/seed=2`). Which stages are shared across replicates follows
 * from the cache key: a stage that does not take the seed param (directly or through an input)
 * has the same key in every replicate (the dataset, the metric's classifier), and a stage that
 * does gets its own key and its own draws. Seed 0 is the unreplicated run (when the param's
 * default is 0), so turning replicates on, or raising n, computes only the new seeds.
 *
 * The seed param is the replicates' alone: sweeping it is rejected (use `replicates`), and so is
 * setting it together with `replicates`.
 *
 * `--replicates n` travels with the run's other overrides as the reserved override
 * `replicates=n`, so `rerun` and Slurm jobs re-plan the same arms.
 */
import * as v from "valibot";
import type { ArmAssignment, Override, SweepSpec } from "./sweep.ts";
import { leafPaths } from "./paramSchema.ts";

/** The reserved override name that `--replicates n` becomes. */
export const REPLICATES_OVERRIDE = "replicates";

export const ReplicatesCount = v.pipe(
  v.number(),
  v.integer("replicates must be a whole number"),
  v.minValue(1, "replicates must be at least 1"),
  v.maxValue(1000, "replicates must be at most 1000"),
);

/** An arm of a replicated sweep: the sweep's arm (its `group`) at one replicate seed. */
export interface ReplicateAssignment extends ArmAssignment {
  /** The sweep arm's id without the seed (the id of the arm when run without replicates). */
  readonly group: string;
  /** The replicate seed 0..n−1, or null when the experiment asked for no replicates. */
  readonly replicate: number | null;
}

/** The id of replicate `seed` of the sweep arm `group`. */
export const replicateArmId = (group: string, seed: number): string => `${group}/seed=${seed}`;

/** Splits an arm id into the sweep arm and the replicate seed (null: not a replicate). */
export const parseArmId = (id: string): { group: string; replicate: number | null } => {
  const m = /^(.*)\/seed=(\d+)$/.exec(id);
  return m ? { group: m[1]!, replicate: Number(m[2]) } : { group: id, replicate: null };
};

/** `--replicates n` as the override the run records. */
export const replicatesOverride = (n: number): string => `${REPLICATES_OVERRIDE}=${n}`;

/**
 * Takes the `replicates=n` override out of the raw `-p` list: the count (or a message when it is
 * not a valid count), and the overrides left for the params. The last one wins.
 */
export const takeReplicatesOverride = (
  raw: readonly string[],
): { count: number | undefined; error: string | undefined; rest: string[] } => {
  let count: number | undefined;
  let error: string | undefined;
  const rest: string[] = [];
  for (const arg of raw) {
    const m = /^\s*replicates\s*=(.*)$/.exec(arg);
    if (!m) {
      rest.push(arg);
      continue;
    }
    const parsed = v.safeParse(ReplicatesCount, Number(m[1]!.trim() === "" ? NaN : m[1]));
    if (parsed.success) {
      count = parsed.output;
      error = undefined;
    } else error = `--replicates "${m[1]!.trim()}": ${parsed.issues[0]!.message}`;
  }
  return { count, error, rest };
};

export interface ReplicateIssue {
  readonly where: string;
  readonly field?: string;
  readonly message: string;
}

/**
 * Problems with the replicate setting: replicates on a pipeline that names no seed param, a
 * sweep over the seed param (always: `replicates` is the one way to repeat seeds), or the seed
 * param set together with `replicates`.
 */
export const replicateIssues = (input: {
  readonly pipeline: { readonly name: string; readonly replicateSeed?: string | undefined };
  readonly count: number | undefined;
  readonly params: Readonly<Record<string, unknown>>;
  readonly sweep: SweepSpec | undefined;
  readonly overrides: readonly Override[];
}): ReplicateIssue[] => {
  const seedParam = input.pipeline.replicateSeed;
  const issues: ReplicateIssue[] = [];
  if (seedParam === undefined) {
    if (input.count !== undefined) {
      issues.push({
        where: "replicates",
        field: "replicates",
        message: `pipeline "${input.pipeline.name}" names no seed param (replicateSeed), ` +
          `so it cannot run replicates`,
      });
    }
    return issues;
  }
  const swept = [
    ...Object.keys(input.sweep?.grid ?? {}),
    ...Object.keys(input.sweep?.random?.space ?? {}),
    ...(input.sweep?.include ?? []).flatMap((x) => Object.keys(x)),
  ];
  if (swept.includes(seedParam)) {
    issues.push({
      where: "sweep",
      field: seedParam,
      message: `"${seedParam}" is the replicate seed of pipeline "${input.pipeline.name}": ` +
        `ask for replicates (replicates: n, or --replicates n) instead of sweeping it`,
    });
  }
  if (input.count !== undefined) {
    const setHere = leafPaths(input.params).includes(seedParam) ||
      input.overrides.some((o) => o.kind === "set" && o.path === seedParam);
    if (setHere) {
      issues.push({
        where: "params",
        field: seedParam,
        message: `"${seedParam}" is the replicate seed, which replicates: ${input.count} sets ` +
          `to 0..${input.count - 1}; drop one of the two`,
      });
    }
  }
  return issues;
};

/**
 * Every sweep arm at seeds 0..n−1 (seed-major within each arm), with the seed param in its
 * values; with no count, the arms unchanged.
 */
export const replicateArms = (
  arms: readonly ArmAssignment[],
  count: number | undefined,
  seedParam: string | undefined,
): ReplicateAssignment[] =>
  count === undefined || seedParam === undefined
    ? arms.map((a) => ({ ...a, group: a.id, replicate: null }))
    : arms.flatMap((a) =>
      Array.from({ length: count }, (_, seed) => ({
        id: replicateArmId(a.id, seed),
        values: { ...a.values, [seedParam]: seed },
        group: a.id,
        replicate: seed,
      }))
    );
