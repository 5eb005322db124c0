/**
 * Experiments: a pipeline with params, a sweep, profiles, a seed and a backend.
 *
 * Param layering, later wins: the pipeline schema's defaults, the experiment's `params`, the
 * chosen profile's `params`, then `-p` overrides. A profile's `sweep` replaces the experiment's;
 * `-p name=[a,b]` adds or replaces one grid axis.
 */
import * as v from "valibot";
import type { AnyPipelineDef, PipelineDef } from "./pipeline.ts";
import { SweepSpec } from "./sweep.ts";
import { ReplicatesCount } from "./replicates.ts";
import { InvalidFile } from "./errors.ts";

export interface Profile<P> {
  readonly description?: string;
  readonly params?: P;
  readonly sweep?: SweepSpec;
  /** Seeds per arm; overrides the experiment's `replicates` (docs/replicates.md). */
  readonly replicates?: number;
}

export interface ExperimentDef<S extends v.GenericSchema> {
  readonly name: string;
  readonly description?: string;
  readonly pipeline: PipelineDef<S>;
  readonly params?: DeepPartial<v.InferInput<S>>;
  readonly sweep?: SweepSpec;
  readonly profiles?: Readonly<Record<string, Profile<DeepPartial<v.InferInput<S>>>>>;
  /** The profile used when `--profile` is not given. */
  readonly defaultProfile?: string;
  /** Run every arm with seeds 0..n−1 of the pipeline's seed param (docs/replicates.md). */
  readonly replicates?: number;
  /** Experiment seed; every stage derives its own from it. Default 0. */
  readonly seed?: number;
  /** Tensor backend unless `--backend` or DIFFRUN_BACKEND says otherwise. Default "auto". */
  readonly backend?: string;
  /** Where compute stages run unless `--executor` says otherwise: "local" (default) or "slurm". */
  readonly executor?: string;
  /**
   * Slurm resources (defaults and per stage), poll interval, retries: carried on the plan as
   * data and checked by the executor (src/executor/resources.ts).
   */
  readonly slurm?: Readonly<Record<string, unknown>>;
}

/** The experiment file's executor choice and settings, as data; src/executor/ parses them. */
export interface ExecutorData {
  readonly kind: string | null;
  readonly slurm: Readonly<Record<string, unknown>> | null;
}

export type DeepPartial<T> = T extends readonly unknown[] ? T
  : T extends object ? { readonly [K in keyof T]?: DeepPartial<T[K]> }
  : T;

// deno-lint-ignore no-explicit-any
export type AnyExperimentDef = ExperimentDef<any>;

export const defineExperiment = <S extends v.GenericSchema>(
  def: ExperimentDef<S>,
): ExperimentDef<S> => def;

const plainObject = v.custom<Record<string, unknown>>(
  (x) => x !== null && typeof x === "object" && !Array.isArray(x),
  "expected an object",
);

const pipelineShape = v.looseObject({
  name: v.string(),
  module: v.string(),
  params: v.looseObject({ kind: v.literal("schema") }),
  build: v.function(),
  aggregate: v.optional(v.function()),
  engineIdentity: v.optional(v.function()),
  replicateSeed: v.optional(v.string()),
  budget: v.optional(v.string()),
});

/** The shape an experiment module's default export must have (it is code, but checked anyway). */
export const ExperimentShape = v.strictObject({
  name: v.pipe(
    v.string(),
    v.regex(/^[A-Za-z0-9][\w.-]*$/, "letters, digits, '.', '_' and '-' only"),
  ),
  description: v.optional(v.string()),
  pipeline: pipelineShape,
  params: v.optional(plainObject),
  sweep: v.optional(SweepSpec),
  profiles: v.optional(v.record(
    v.string(),
    v.strictObject({
      description: v.optional(v.string()),
      params: v.optional(plainObject),
      sweep: v.optional(SweepSpec),
      replicates: v.optional(ReplicatesCount),
    }),
  )),
  replicates: v.optional(ReplicatesCount),
  defaultProfile: v.optional(v.string()),
  seed: v.optional(v.pipe(v.number(), v.integer())),
  backend: v.optional(v.string()),
  executor: v.optional(v.string()),
  slurm: v.optional(plainObject),
});

/** Imports an experiment file and checks its default export. */
export const loadExperimentModule = async (path: string): Promise<AnyExperimentDef> => {
  const { toFileUrl } = await import("./paths.ts");
  const { resolve } = await import("node:path");
  let mod: Record<string, unknown>;
  try {
    mod = await import(toFileUrl(resolve(path)));
  } catch (e) {
    throw new InvalidFile({ path, reason: `cannot import: ${e instanceof Error ? e.message : e}` });
  }
  const def = mod.default;
  if (def === undefined) {
    throw new InvalidFile({
      path,
      reason: "has no default export (export default defineExperiment({...}))",
    });
  }
  const checked = v.safeParse(ExperimentShape, def);
  if (!checked.success) {
    const issue = checked.issues[0];
    const field = issue ? v.getDotPath(issue) : null;
    throw new InvalidFile({
      path,
      reason: `invalid experiment${field ? ` at "${field}"` : ""}: ${v.summarize(checked.issues)}`,
    });
  }
  return def as AnyExperimentDef;
};

export type { AnyPipelineDef };
