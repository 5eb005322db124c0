/**
 * Executor settings of an experiment file: which executor runs compute stages, and the Slurm
 * resources each stage asks for.
 *
 * ```ts
 * executor: "slurm",
 * slurm: {
 *   resources: { cpus: 4, mem: "16G", time: "2:00:00", partition: "gpu", gpus: 1 },
 *   stages: { "train-diffusion": { time: "12:00:00" }, "evaluate": { sbatch: ["--qos=short"] } },
 *   pollSeconds: 10,
 *   retries: 1,
 * }
 * ```
 *
 * `resources` applies to every compute stage; `stages` (by stage name, or by plan label such as
 * `scale[factor=2]`) overrides it field by field. Resources do not enter cache keys: where a
 * stage ran does not change what it computes. Unknown fields are errors naming the field.
 */
import * as v from "valibot";

/** Slurm's time formats: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS. */
const SLURM_TIME = /^(\d+-)?\d+(:\d{1,2}){0,2}$/;

export const SlurmResources = v.strictObject({
  /** GPUs per job (`--gpus`). */
  gpus: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  /** CPUs per task (`--cpus-per-task`); the stage gets this many threads. */
  cpus: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  /** Memory per node (`--mem`), e.g. `16G`, `500M`. */
  mem: v.optional(
    v.pipe(v.string(), v.regex(/^\d+[KMGT]?$/, 'memory like "16G", "500M" or "1024"')),
  ),
  /** Time limit (`--time`), in one of Slurm's formats, e.g. `90`, `2:00:00`, `1-12:00:00`. */
  time: v.optional(
    v.pipe(v.string(), v.regex(SLURM_TIME, 'a Slurm time like "90", "2:00:00" or "1-12:00:00"')),
  ),
  /** Partition (`--partition`). */
  partition: v.optional(v.pipe(v.string(), v.regex(/^[\w.,-]+$/, "a partition name"))),
  /** Further sbatch flags, passed as they are, e.g. `["--qos=short", "--constraint=a100"]`. */
  sbatch: v.optional(
    v.array(v.pipe(v.string(), v.regex(/^--?[A-Za-z]/, "an sbatch flag starting with -"))),
  ),
});
export type SlurmResources = v.InferOutput<typeof SlurmResources>;

export const SlurmSettings = v.strictObject({
  /** Resources of every compute stage. */
  resources: v.optional(SlurmResources),
  /** Per stage (name or label), merged over `resources`. */
  stages: v.optional(v.record(v.string(), SlurmResources)),
  /** How often the head asks Slurm and the store about its jobs (default 5 s). */
  pollSeconds: v.optional(v.pipe(v.number(), v.minValue(0.05))),
  /** Resubmissions of a failed job (default 0; `--retries` wins). */
  retries: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
});
export type SlurmSettings = v.InferOutput<typeof SlurmSettings>;

export const ExecutorKind = v.picklist(["local", "slurm"]);
export type ExecutorKind = v.InferOutput<typeof ExecutorKind>;

/** The resources of one stage instance: defaults, then its stage name's, then its label's. */
export const resourcesFor = (
  settings: SlurmSettings | undefined,
  stage: { readonly name: string; readonly label: string },
): SlurmResources => {
  const layers = [
    settings?.resources,
    settings?.stages?.[stage.name],
    settings?.stages?.[stage.label],
  ];
  const merged: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [field, value] of Object.entries(layer ?? {})) {
      if (value !== undefined) merged[field] = value;
    }
  }
  return merged as SlurmResources;
};

/**
 * Names in `settings.stages` that match no stage of the plan (a typo would otherwise silently
 * give a stage the default resources).
 */
export const unknownStageNames = (
  settings: SlurmSettings | undefined,
  stages: readonly { readonly name: string; readonly label: string }[],
): string[] => {
  const known = new Set(stages.flatMap((s) => [s.name, s.label]));
  return Object.keys(settings?.stages ?? {}).filter((name) => !known.has(name));
};
