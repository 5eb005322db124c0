/**
 * What the scheduler's phases share during one `runPlan`: the plan, the options, the store and
 * event services, the compute slots, the results so far and the per-key memos.
 */
import type * as Deferred from "effect/Deferred";
import * as Effect from "effect/Effect";
import * as Option from "effect/Option";
import type * as Semaphore from "effect/Semaphore";
import type { Plan, PlanNode } from "./plan.ts";
import type { NodeResult, RunEvents } from "./events.ts";
import { StageFailed, UpstreamFailed } from "./errors.ts";
import type { StageExecutor } from "./stageExecutor.ts";
import type { Store } from "../store/Store.ts";

export interface RunOptions {
  /** Compute slots: how many stages that declare `compute` may run at once. */
  readonly jobs: number;
  readonly keepGoing: boolean;
  /** Cores of the machine; a compute stage gets cores / jobs threads. */
  readonly cores: number;
  readonly backend: string;
  /** Runs compute stages outside this process (Slurm); absent: every stage runs here. */
  readonly executor?: StageExecutor;
  /** Materialise only these keys, reading (or computing) their inputs as needed; default all. */
  readonly only?: ReadonlySet<string>;
}

export type Failure = StageFailed | UpstreamFailed;

export interface SchedulerState {
  readonly plan: Plan;
  readonly options: RunOptions;
  readonly store: Store["Service"];
  readonly events: RunEvents["Service"];
  readonly slots: Semaphore.Semaphore;
  /** Threads of one compute stage: its share of the cores. */
  readonly threads: number;
  readonly results: Map<string, NodeResult>;
  /** Per key: the one computation of this process (later callers await it). */
  readonly computed: Map<string, Deferred.Deferred<unknown, Failure>>;
  /** Per key: the one read of its value. */
  readonly loaded: Map<string, Deferred.Deferred<unknown, Failure>>;
}

export const now = () => new Date().toISOString();

export const nodeOf = (s: SchedulerState, key: string): PlanNode => s.plan.nodes.get(key)!;

/** Store IO problems surface as a failure of the stage that needed the store. */
export const asStageFailure = (node: PlanNode) => (e: unknown): Failure =>
  e instanceof StageFailed || e instanceof UpstreamFailed
    ? e
    : new StageFailed({ stage: node.label, key: node.key, cause: e });

export const record = (s: SchedulerState, node: PlanNode, result: NodeResult) =>
  Effect.gen(function* () {
    s.results.set(node.key, result);
    yield* s.events.emit({ type: "finished", node, result });
  });

/** The stage runs in another process (the executor's), not here. */
export const elsewhere = (s: SchedulerState, node: PlanNode) =>
  s.options.executor?.runsElsewhere(node) ?? false;

/**
 * The value of an entry this run materialised (its status `ran` or `cached` in `results`: its
 * lookup in this run checked it, so it is not looked up again), through its codec; none when the
 * run did not materialise it or the read fails.
 */
export const readMaterialised = (
  store: Store["Service"],
  results: ReadonlyMap<string, NodeResult>,
  node: PlanNode,
): Effect.Effect<Option.Option<unknown>> => {
  const status = results.get(node.key)?.status;
  if (status !== "ran" && status !== "cached") return Effect.succeed(Option.none());
  return Effect.tryPromise(() => node.def.output.read(store.artifactDir(node.key))).pipe(
    Effect.option,
  );
};

/** Reads a stored entry's value through its codec. */
export const readStored = (s: SchedulerState, node: PlanNode) =>
  Effect.tryPromise({
    try: () => node.def.output.read(s.store.artifactDir(node.key)),
    catch: (cause) => new StageFailed({ stage: node.label, key: node.key, cause }),
  });
