/**
 * Pipelines: a params schema and a `build` function that declares one arm's stage instances.
 *
 * `build` runs once per arm of a sweep with that arm's params and a `Builder`; the planner then
 * merges every arm's instances by cache key, so a stage whose key is the same in several arms
 * (dataset, classifier, teacher) appears once in the graph. `aggregate` declares cross-arm
 * stages (speed-up tables, ANOVA, reports) over every arm's outputs.
 */
import type * as v from "valibot";
import { type AnyStageDef, type Group, GROUP_SEPARATOR, type StageDef } from "./stage.ts";

/** A reference to a stage instance's output inside a build; `O` is the output type. */
export interface Handle<O> {
  readonly nodeId: number;
  /** Phantom member carrying the output type; never set. */
  readonly __output?: O;
}

export interface StageOptions {
  /** Distinguishes instances of one stage in labels (e.g. `train[eps]`). */
  readonly label?: string;
}

/** What a build passes for a stage's inputs: a handle each, a record of handles for a group. */
export type InputHandles<I> = {
  readonly [K in keyof I]: I[K] extends Group<infer T> ? Readonly<Record<string, Handle<T>>>
    : Handle<I[K]>;
};

export interface Builder {
  stage<S extends v.GenericSchema, I extends Record<string, unknown>, O>(
    def: StageDef<S, I, O>,
    params: v.InferInput<S>,
    inputs: InputHandles<I>,
    options?: StageOptions,
  ): Handle<O>;
}

/**
 * What `build` returns: named outputs of the arm. A `summary` output (a JSON record of final
 * metrics) becomes the arm's row in the run's summary.md.
 */
export type ArmOutputs = Readonly<Record<string, Handle<unknown>>>;

/** One arm as seen by `aggregate`. */
export interface ArmView<P> {
  readonly id: string;
  /** The sweep arm's id without the replicate seed, and that seed (null: no replicates). */
  readonly group: string;
  readonly replicate: number | null;
  readonly params: P;
  readonly outputs: ArmOutputs;
}

export interface PipelineDef<S extends v.GenericSchema> {
  readonly name: string;
  /** `import.meta.url` of the pipeline file (recorded in the manifest). */
  readonly module: string;
  /** The pipeline's params; unknown keys are rejected at plan time. */
  readonly params: S;
  readonly build: (params: v.InferOutput<S>, b: Builder) => ArmOutputs;
  readonly aggregate?: (arms: readonly ArmView<v.InferOutput<S>>[], b: Builder) => ArmOutputs;
  /**
   * Identity of the numerics engine for `engineSensitive` stages (backend name, library
   * versions). Supplied by the pipeline so the runner core never imports tensor code.
   */
  readonly engineIdentity?: (backend: string) => Record<string, unknown>;
  /**
   * The param that carries the pipeline's random seed: `replicates: n` runs every arm with it set
   * to 0..n−1 (docs/replicates.md). Stages that do not take it are shared across replicates.
   */
  readonly replicateSeed?: string;
  /**
   * The param that sets an arm's training budget (e.g. `tuneSteps`): successive halving's rungs
   * set it (docs/halving.md). Stages should be cached in segments so a longer budget reuses the
   * shorter one's work.
   */
  readonly budget?: string;
}

// deno-lint-ignore no-explicit-any
export type AnyPipelineDef = PipelineDef<any>;

export const definePipeline = <S extends v.GenericSchema>(def: PipelineDef<S>): PipelineDef<S> =>
  def;

/** A recorded `b.stage(...)` call. */
export interface StageCall {
  readonly nodeId: number;
  readonly def: AnyStageDef;
  readonly params: unknown;
  /** Input name -> node id of the call that made the handle; FOREIGN_HANDLE if no call of this recording did. */
  readonly inputs: Readonly<Record<string, number>>;
  readonly label: string | undefined;
  /** The arm whose build made the call, or null for aggregate stages. */
  readonly arm: string | null;
}

/** The node id recorded for an input handle that no `b.stage` of this plan returned. */
export const FOREIGN_HANDLE = -1;

/** Handles each recording (one `calls` array: one plan) gave out, to spot forged or stale ones. */
const issuedHandles = new WeakMap<readonly StageCall[], WeakSet<object>>();

/** Whether `handle` was returned by a builder recording into `calls`. */
export const isIssuedHandle = (calls: readonly StageCall[], handle: unknown): boolean =>
  typeof handle === "object" && handle !== null &&
  (issuedHandles.get(calls)?.has(handle) ?? false);

/** A Builder that records calls; node ids are global across arms so handles stay unique. */
export const recordingBuilder = (calls: StageCall[], arm: string | null): Builder => {
  let issued = issuedHandles.get(calls);
  if (issued === undefined) {
    issued = new WeakSet();
    issuedHandles.set(calls, issued);
  }
  const mine = issued;
  const idOf = (handle: Handle<unknown>) => mine.has(handle) ? handle.nodeId : FOREIGN_HANDLE;
  return {
    stage: (def, params, inputs, options) => {
      const nodeId = calls.length;
      const inputIds: Record<string, number> = {};
      for (const [name, given] of Object.entries(inputs as Record<string, unknown>)) {
        if (isHandle(given)) inputIds[name] = idOf(given);
        else {
          // a group: each member travels as `group.member`
          for (
            const [member, handle] of Object.entries(given as Record<string, Handle<unknown>>)
          ) inputIds[`${name}${GROUP_SEPARATOR}${member}`] = idOf(handle);
        }
      }
      calls.push({ nodeId, def, params, inputs: inputIds, label: options?.label, arm });
      const handle: Handle<never> = { nodeId };
      mine.add(handle);
      return handle;
    },
  };
};

const isHandle = (x: unknown): x is Handle<unknown> =>
  x !== null && typeof x === "object" && typeof (x as { nodeId?: unknown }).nodeId === "number";
