/**
 * Computing a missing entry: its inputs loaded (read after a checked lookup — metadata, file list
 * and sizes, and a re-hash of any file whose stat stamp changed, see src/store/integrity.ts — or
 * computed first), then the stage run once per key in this process, under the store's per-key
 * lock (waited for first) and then a compute slot, or handed to the executor.
 */
import * as Deferred from "effect/Deferred";
import * as Effect from "effect/Effect";
import * as Option from "effect/Option";
import * as Semaphore from "effect/Semaphore";
import type { PlanNode } from "./plan.ts";
import { StageFailed, UpstreamFailed } from "./errors.ts";
import type { StageExecutor } from "./stageExecutor.ts";
import { replayMetrics, storedAnnotations } from "./runnerFiles.ts";
import { executeStage } from "./stageExecution.ts";
import {
  asStageFailure,
  elsewhere,
  type Failure,
  nodeOf,
  now,
  readStored,
  record,
  type SchedulerState,
} from "./schedulerState.ts";

/** Runs `make` once per key in this process; later callers await the first one's outcome. */
const once = <A>(
  memo: Map<string, Deferred.Deferred<unknown, Failure>>,
  key: string,
  make: Effect.Effect<A, Failure>,
): Effect.Effect<A, Failure> =>
  Effect.suspend(() => {
    const existing = memo.get(key);
    if (existing) return Deferred.await(existing) as Effect.Effect<A, Failure>;
    const d = Deferred.makeUnsafe<unknown, Failure>();
    memo.set(key, d);
    return make.pipe(Effect.onExit((exit) => Deferred.done(d, exit)));
  });

/** Value of an upstream entry: memoised; read from the store after a checked lookup, or computed. */
const load = (s: SchedulerState, key: string): Effect.Effect<unknown, Failure> =>
  once(
    s.loaded,
    key,
    Effect.gen(function* () {
      const node = nodeOf(s, key);
      // a corrupt entry is reported and removed by the checked lookup, then recomputed here
      const hit = yield* s.store.lookup(key).pipe(Effect.mapError(asStageFailure(node)));
      if (Option.isSome(hit)) return yield* readStored(s, node);
      const value = yield* computeStage(s, node);
      return elsewhere(s, node) ? yield* readStored(s, node) : value;
    }),
  );

/** An upstream entry is in the store (a hit, or computed now), without reading it. */
const ensure = (s: SchedulerState, key: string): Effect.Effect<void, Failure> =>
  Effect.gen(function* () {
    const node = nodeOf(s, key);
    const hit = yield* s.store.lookup(key).pipe(Effect.mapError(asStageFailure(node)));
    if (Option.isNone(hit)) yield* computeStage(s, node);
  });

/** A stage run by the executor: its job reads the inputs from the store and commits the entry. */
const computeElsewhere = (s: SchedulerState, node: PlanNode, executor: StageExecutor) =>
  Effect.gen(function* () {
    const info = (message: string) => s.events.emit({ type: "info", node, message });
    yield* s.events.emit({ type: "started", node });
    const facts = yield* executor.run(node, info);
    const meta = yield* s.store.lookup(node.key).pipe(Effect.mapError(asStageFailure(node)));
    if (Option.isNone(meta)) {
      return yield* new StageFailed({
        stage: node.label,
        key: node.key,
        cause: "its job ended but the entry is not in the store",
      });
    }
    yield* replayMetrics(s, node, false, meta.value.files);
    const annotations = yield* storedAnnotations(s, node, meta.value.files);
    const t = meta.value.timings;
    yield* record(s, node, {
      key: node.key,
      label: node.label,
      status: "ran",
      startedAt: t?.startedAt ?? null,
      finishedAt: t?.finishedAt ?? null,
      durationMs: t?.durationMs ?? null,
      resumed: false,
      error: null,
      annotations: { ...annotations, ...facts },
      files: meta.value.files.map((f) => f.path),
    });
    return { value: undefined as unknown, ran: true, resumed: false };
  });

/** Runs a stage (under the per-key lock and a compute slot) and stores its output. */
export const computeStage = (s: SchedulerState, node: PlanNode): Effect.Effect<unknown, Failure> =>
  once(
    s.computed,
    node.key,
    Effect.gen(function* () {
      const { options, store } = s;
      const upstreamFailure = (upstream: string) => (e: Failure) =>
        options.keepGoing
          ? new UpstreamFailed({ stage: node.label, upstream: nodeOf(s, upstream).label })
          : e;
      const inputs: Record<string, unknown> = {};
      const executor = elsewhere(s, node) ? options.executor : undefined;
      for (const [name, upstream] of Object.entries(node.inputs)) {
        // a stage run elsewhere reads its inputs there; here they only have to be stored
        if (executor) {
          yield* ensure(s, upstream).pipe(Effect.mapError(upstreamFailure(upstream)));
        } else {
          inputs[name] = yield* load(s, upstream).pipe(Effect.mapError(upstreamFailure(upstream)));
        }
      }
      const slotsNeeded = node.def.resources?.compute ?? 0;
      // the lock is waited for first, holding no compute slot, so a key held by another process
      // never idles a slot that unrelated stages could use
      const run = store.withLock(
        node.key,
        Effect.gen(function* () {
          // another process may have produced it while we waited for the lock
          const raced = yield* store.lookup(node.key).pipe(Effect.mapError(asStageFailure(node)));
          if (Option.isSome(raced)) {
            const value = yield* readStored(s, node);
            return { value, ran: false, resumed: false };
          }
          return yield* (slotsNeeded > 0
            ? Semaphore.withPermits(s.slots, Math.min(slotsNeeded, options.jobs))(
              executeStage(s, node, inputs),
            )
            : executeStage(s, node, inputs));
        }),
      ).pipe(Effect.mapError(asStageFailure(node)));
      // the cluster schedules jobs: they take no local compute slot
      const outcome = yield* (executor ? computeElsewhere(s, node, executor) : run).pipe(
        // the failing stage records itself at once: fail-fast interrupts everyone else after
        Effect.tapError((e) =>
          e._tag === "StageFailed" && e.key === node.key && !s.results.has(node.key)
            ? record(s, node, {
              key: node.key,
              label: node.label,
              status: "failed",
              startedAt: null,
              finishedAt: now(),
              durationMs: null,
              resumed: false,
              error: e.message,
            })
            : Effect.void
        ),
      );
      return outcome.value;
    }),
  );
