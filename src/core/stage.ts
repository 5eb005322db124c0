/**
 * Stages: the unit of work, caching and scheduling.
 *
 * A stage is declared once (name, version, params schema, input names, output codec, `run`) and
 * instantiated by pipelines with concrete params and upstream handles. `run` is a function over
 * typed inputs that returns an Effect; it knows nothing of the store, the scheduler or the run
 * directory, only of its `StageContext`.
 */
import type * as Effect from "effect/Effect";
import type * as Option from "effect/Option";
import type * as v from "valibot";
import type { Codec } from "./codec.ts";

/** What a running stage may ask of the runner. */
export interface StageContext {
  /** The instance's cache key (sha256 hex). */
  readonly key: string;
  /** Human label, e.g. `train[weighting=min-snr]`. */
  readonly label: string;
  /** Derived from the experiment seed and this instance's identity (never from arm order). */
  readonly seed: number;
  /** Tensor backend requested for the run (`--backend`); stages that do no tensor work ignore it. */
  readonly backend: string;
  /** Threads this stage may use (its share of the machine under the compute budget). */
  readonly threads: number;
  /** An empty directory on the store's filesystem for files the output codec will take over. */
  readonly scratchDir: string;
  /** Reports progress; the CLI turns it into a bar with ETA (TTY) or periodic lines. */
  progress(done: number, total: number): Effect.Effect<void>;
  /** Records one metrics row (e.g. `{ step, loss }`) into the run's metrics.jsonl. */
  log(record: Record<string, unknown>): Effect.Effect<void>;
  /** Writes a line to this stage's log file. */
  info(message: string): Effect.Effect<void>;
  /**
   * Records facts about how the stage ran (e.g. the engine that computed it: backend, versions,
   * threads, GPU) in the manifest, kept with the artifact so cached runs report them too.
   */
  annotate(facts: Record<string, unknown>): Effect.Effect<void>;
  /** Saves a resumable state; one complete checkpoint is kept per key, written atomically. */
  checkpoint<A>(codec: Codec<A>, state: A): Effect.Effect<void>;
  /** The last checkpoint of this key, if a previous attempt saved one. */
  resume<A>(codec: Codec<A>): Effect.Effect<Option.Option<A>>;
}

/** Resources a stage takes from the scheduler's budget while it runs. */
export interface StageResources {
  /** Compute slots (tensor work). Bookkeeping stages take none and are never queued. */
  readonly compute?: number;
}

export interface StageDef<S extends v.GenericSchema, I extends Record<string, unknown>, O> {
  readonly name: string;
  /** Bump to invalidate every cached result of this stage by hand. */
  readonly version: string;
  /** `import.meta.url` of the defining module: its source and local imports enter the key. */
  readonly module: string;
  /** Validates (and fills defaults of) the params a pipeline passes; its output enters the key. */
  readonly params: S;
  /**
   * Input names (every one required), or each input's kind: "one", "optional", or "many" (a
   * group whose members, e.g. one per arm or per shard, `run` receives as a record).
   */
  readonly inputs: readonly (keyof I & string)[] | InputSpec<I>;
  readonly output: Codec<O>;
  readonly resources?: StageResources;
  /** Set false for deterministic stages so the experiment seed does not enter their key. */
  readonly seeded?: boolean;
  /** Set true when numbers depend on the tensor engine: its identity enters the key. */
  readonly engineSensitive?: boolean;
  readonly run: (
    ctx: StageContext,
    params: v.InferOutput<S>,
    inputs: I,
  ) => Effect.Effect<O, unknown>;
}

/** How a stage takes one input: exactly one, at most one, or a group of any size. */
export type InputKind = "one" | "optional" | "many";
export type InputSpec<I> = { readonly [K in keyof I]-?: InputKind };

declare const groupBrand: unique symbol;
/**
 * The members of a "many" input, by member name (an arm id, a shard number, a step). The brand
 * (types only) tells a group from a single input whose value happens to be a record.
 */
export type Group<T> = Readonly<Record<string, T>> & { readonly [groupBrand]: "group" };

/** Group members travel as `group.member` (in plans, keys and manifests). */
export const GROUP_SEPARATOR = ".";

const kindsOf = (declared: AnyStageDef["inputs"]): Record<string, InputKind> =>
  Array.isArray(declared)
    ? Object.fromEntries(declared.map((name: string) => [name, "one"]))
    : declared as Record<string, InputKind>;

const groupOf = (name: string) => name.split(GROUP_SEPARATOR, 1)[0]!;

/** What is wrong with the (flat) input names a pipeline gives a stage: missing and unknown ones. */
export const inputProblems = (
  declared: AnyStageDef["inputs"],
  given: readonly string[],
): { readonly name: string; readonly message: string }[] => {
  const kinds = kindsOf(declared);
  const names = Object.keys(kinds);
  const missing = names.filter((n) => kinds[n] === "one" && !given.includes(n));
  const unknown = given.filter((n) =>
    kinds[groupOf(n)] === "many" ? !n.includes(GROUP_SEPARATOR) : kinds[n] === undefined ||
      kinds[n] === "many"
  );
  return [
    ...missing.map((name) => ({ name, message: `missing input "${name}"` })),
    ...unknown.map((name) => ({
      name,
      message: `unknown input "${name}" (declared: ${
        names.map((n) => kinds[n] === "many" ? `${n}${GROUP_SEPARATOR}…` : n).join(", ") ||
        "none"
      })`,
    })),
  ];
};

/** The flat inputs as `run` takes them: each "many" group gathered into a record. */
export const structuredInputs = (
  declared: AnyStageDef["inputs"],
  flat: Readonly<Record<string, unknown>>,
): Record<string, unknown> => {
  const kinds = kindsOf(declared);
  const out: Record<string, unknown> = {};
  for (const [name, kind] of Object.entries(kinds)) if (kind === "many") out[name] = {};
  for (const [name, value] of Object.entries(flat)) {
    const group = groupOf(name);
    if (kinds[group] === "many" && name !== group) {
      (out[group] as Record<string, unknown>)[name.slice(group.length + 1)] = value;
    } else out[name] = value;
  }
  return out;
};

// deno-lint-ignore no-explicit-any
export type AnyStageDef = StageDef<any, any, any>;

/** Declares a stage; the identity function, there for inference and one place to document. */
export const defineStage = <S extends v.GenericSchema, I extends Record<string, unknown>, O>(
  def: StageDef<S, I, O>,
): StageDef<S, I, O> => {
  if (!/^[a-z][a-z0-9-]*$/.test(def.name)) {
    throw new Error(`stage name "${def.name}" must be lowercase letters, digits and dashes`);
  }
  return def;
};
