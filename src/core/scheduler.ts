/**
 * The scheduler: runs a plan's stage instances concurrently under a compute budget, reusing
 * every entry already in the store.
 *
 * Every node is "materialised": a store hit costs one metadata read; a miss runs the stage
 * once (memoised per key inside the process, and under the store's per-key lock across
 * processes), after loading its inputs. An input is read back from the store only when a
 * stage that needs it has to run; reading verifies the entry's checksum, and a corrupt entry is
 * reported, removed and recomputed, never used.
 *
 * Fail-fast by default: the first failure interrupts every running stage (their staging
 * directories are removed, their locks released). With `keepGoing`, independent branches go on
 * and the dependants of a failure are skipped.
 */
import * as Cause from "effect/Cause";
import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import * as Option from "effect/Option";
import * as Semaphore from "effect/Semaphore";
import type { Plan, PlanNode } from "./plan.ts";
import { type NodeResult, RunEvents } from "./events.ts";
import { Store } from "../store/Store.ts";
import type { StageExecutor } from "./stageExecutor.ts";
import { replayMetrics, storedAnnotations } from "./runnerFiles.ts";
import { computeStage } from "./stageCompute.ts";
import {
  asStageFailure,
  type Failure,
  now,
  record,
  type RunOptions,
  type SchedulerState,
} from "./schedulerState.ts";

export type { RunOptions, StageExecutor };
export { RUNNER_DIR } from "./runnerFiles.ts";

/** A node's final state: a store hit (no read), or computed now. */
const materialise = (s: SchedulerState, node: PlanNode): Effect.Effect<void, Failure> =>
  Effect.gen(function* () {
    const hit = yield* s.store.lookup(node.key).pipe(Effect.mapError(asStageFailure(node)));
    if (Option.isSome(hit)) {
      const meta = hit.value;
      yield* replayMetrics(s, node, true, meta.files);
      const annotations = yield* storedAnnotations(s, node, meta.files);
      yield* record(s, node, {
        key: node.key,
        label: node.label,
        status: "cached",
        startedAt: meta.timings?.startedAt ?? null,
        finishedAt: meta.timings?.finishedAt ?? null,
        durationMs: meta.timings?.durationMs ?? null,
        resumed: false,
        error: null,
        annotations,
        files: meta.files.map((f) => f.path),
      });
      return;
    }
    yield* computeStage(s, node);
    if (!s.results.has(node.key)) {
      // produced by another process while we waited for the lock
      yield* record(s, node, {
        key: node.key,
        label: node.label,
        status: "cached",
        startedAt: null,
        finishedAt: null,
        durationMs: null,
        resumed: false,
        error: null,
      });
    }
  });

export const runPlan = Effect.fnUntraced(function* (plan: Plan, options: RunOptions) {
  const results = new Map<string, NodeResult>();
  const state: SchedulerState = {
    plan,
    options,
    store: yield* Store,
    events: yield* RunEvents,
    slots: yield* Semaphore.make(Math.max(1, options.jobs)),
    threads: Math.max(1, Math.floor(options.cores / Math.max(1, options.jobs))),
    results,
    computed: new Map(),
    loaded: new Map(),
  };
  const nodes = [...plan.nodes.values()].filter((n) => options.only?.has(n.key) ?? true);
  const handled = (node: PlanNode) =>
    materialise(state, node).pipe(
      Effect.catch((error: Failure) =>
        Effect.gen(function* () {
          const own = error._tag === "StageFailed" && error.key === node.key;
          const status = own ? "failed" : "skipped";
          if (!results.has(node.key) || results.get(node.key)!.status !== "failed") {
            yield* record(state, node, {
              key: node.key,
              label: node.label,
              status,
              startedAt: null,
              finishedAt: now(),
              durationMs: null,
              resumed: false,
              error: error.message,
            });
          }
          if (!options.keepGoing) return yield* Effect.fail(error);
        })
      ),
    );
  const exit = yield* Effect.exit(
    Effect.forEach(nodes, handled, { concurrency: "unbounded", discard: true }),
  );
  if (Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)) {
    for (const node of nodes) {
      if (!results.has(node.key)) {
        results.set(node.key, {
          key: node.key,
          label: node.label,
          status: "interrupted",
          startedAt: null,
          finishedAt: now(),
          durationMs: null,
          resumed: false,
          error: null,
        });
      }
    }
  }
  return { results, exit };
});
