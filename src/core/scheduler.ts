/**
 * The scheduler: runs a plan's stage instances concurrently under a compute budget, reusing
 * every entry already in the store.
 *
 * Every node is "materialised": a store hit costs one checked lookup (metadata, file list and
 * sizes, and a re-hash of any file whose stat stamp changed: see `src/store/integrity.ts`); a
 * miss runs the stage once (memoised per key inside the process, and under the store's per-key
 * lock across processes), after loading its inputs. An input is read back from the store only
 * when a stage that needs it has to run, again through a checked lookup; a corrupt entry is
 * reported, removed and recomputed, never used. A stage waits for its key's lock before it takes
 * a compute slot, so a key held by another process never idles a slot that unrelated stages
 * could use.
 *
 * Fail-fast by default: the first failure interrupts every running stage (their staging
 * directories are removed, their locks released). With `keepGoing`, independent branches go on
 * and the dependants of a failure are skipped.
 */
import * as Cause from "effect/Cause";
import * as Deferred from "effect/Deferred";
import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import * as Option from "effect/Option";
import * as Semaphore from "effect/Semaphore";
import { join } from "node:path";
import type { Plan, PlanNode } from "./plan.ts";
import { type NodeResult, RunEvents } from "./events.ts";
import { StageFailed, UpstreamFailed } from "./errors.ts";
import type { Codec } from "./codec.ts";
import type { StageContext } from "./stage.ts";
import type { Json } from "./canonicalJson.ts";
import { Store } from "../store/Store.ts";
import { killPoint } from "../store/killPoint.ts";
import type { StageExecutor } from "./stageExecutor.ts";

export type { StageExecutor };

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

/** Where the runner keeps a stage's own log and metrics inside its artifact (codecs ignore it). */
export const RUNNER_DIR = "_diffrun";

const now = () => new Date().toISOString();
const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

type Failure = StageFailed | UpstreamFailed;

export const runPlan = Effect.fnUntraced(function* (plan: Plan, options: RunOptions) {
  const store = yield* Store;
  const events = yield* RunEvents;
  const slots = yield* Semaphore.make(Math.max(1, options.jobs));
  const threads = Math.max(1, Math.floor(options.cores / Math.max(1, options.jobs)));
  const results = new Map<string, NodeResult>();
  const computed = new Map<string, Deferred.Deferred<unknown, Failure>>();
  const loaded = new Map<string, Deferred.Deferred<unknown, Failure>>();

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

  const nodeOf = (key: string): PlanNode => plan.nodes.get(key)!;

  /** Store IO problems surface as a failure of the stage that needed the store. */
  const asStageFailure = (node: PlanNode) => (e: unknown): Failure =>
    e instanceof StageFailed || e instanceof UpstreamFailed
      ? e
      : new StageFailed({ stage: node.label, key: node.key, cause: e });

  const record = (node: PlanNode, result: NodeResult) =>
    Effect.gen(function* () {
      results.set(node.key, result);
      yield* events.emit({ type: "finished", node, result });
    });

  /** Value of an upstream entry: memoised; read and verified from the store, or computed. */
  const load = (key: string): Effect.Effect<unknown, Failure> =>
    once(
      loaded,
      key,
      Effect.gen(function* () {
        const node = nodeOf(key);
        // a corrupt entry is reported and removed by the lookup, then recomputed here
        const hit = yield* store.lookup(key).pipe(Effect.mapError(asStageFailure(node)));
        if (Option.isSome(hit)) return yield* readStored(node);
        const value = yield* compute(node);
        return elsewhere(node) ? yield* readStored(node) : value;
      }),
    );

  const elsewhere = (node: PlanNode) => options.executor?.runsElsewhere(node) ?? false;

  const readStored = (node: PlanNode) =>
    Effect.tryPromise({
      try: () => node.def.output.read(store.artifactDir(node.key)),
      catch: (cause) => new StageFailed({ stage: node.label, key: node.key, cause }),
    });

  /** An upstream entry is in the store (a hit, or computed now), without reading it. */
  const ensure = (key: string): Effect.Effect<void, Failure> =>
    Effect.gen(function* () {
      const node = nodeOf(key);
      const hit = yield* store.lookup(key).pipe(Effect.mapError(asStageFailure(node)));
      if (Option.isNone(hit)) yield* compute(node);
    });

  /** A stage run by the executor: its job reads the inputs from the store and commits the entry. */
  const computeElsewhere = (node: PlanNode, executor: StageExecutor) =>
    Effect.gen(function* () {
      const info = (message: string) => events.emit({ type: "info", node, message });
      yield* events.emit({ type: "started", node });
      const facts = yield* executor.run(node, info);
      const meta = yield* store.lookup(node.key).pipe(Effect.mapError(asStageFailure(node)));
      if (Option.isNone(meta)) {
        return yield* new StageFailed({
          stage: node.label,
          key: node.key,
          cause: "its job ended but the entry is not in the store",
        });
      }
      yield* replayMetrics(node, false);
      const annotations = yield* storedAnnotations(node);
      const t = meta.value.timings;
      yield* record(node, {
        key: node.key,
        label: node.label,
        status: "ran",
        startedAt: t?.startedAt ?? null,
        finishedAt: t?.finishedAt ?? null,
        durationMs: t?.durationMs ?? null,
        resumed: false,
        error: null,
        annotations: { ...annotations, ...facts },
      });
      return { value: undefined as unknown, ran: true, resumed: false };
    });

  /** Runs a stage (under the per-key lock and a compute slot) and stores its output. */
  const compute = (node: PlanNode): Effect.Effect<unknown, Failure> =>
    once(
      computed,
      node.key,
      Effect.gen(function* () {
        const upstreamFailure = (upstream: string) => (e: Failure) =>
          options.keepGoing
            ? new UpstreamFailed({ stage: node.label, upstream: nodeOf(upstream).label })
            : e;
        const inputs: Record<string, unknown> = {};
        const executor = elsewhere(node) ? options.executor : undefined;
        for (const [name, upstream] of Object.entries(node.inputs)) {
          // a stage run elsewhere reads its inputs there; here they only have to be stored
          if (executor) {
            yield* ensure(upstream).pipe(Effect.mapError(upstreamFailure(upstream)));
          } else {
            inputs[name] = yield* load(upstream).pipe(Effect.mapError(upstreamFailure(upstream)));
          }
        }
        const slotsNeeded = node.def.resources?.compute ?? 0;
        // the lock is waited for first, holding no compute slot
        const run = store.withLock(
          node.key,
          Effect.gen(function* () {
            // another process may have produced it while we waited for the lock
            const raced = yield* store.lookup(node.key).pipe(Effect.mapError(asStageFailure(node)));
            if (Option.isSome(raced)) {
              return { value: yield* readStored(node), ran: false, resumed: false };
            }
            return yield* (slotsNeeded > 0
              ? Semaphore.withPermits(slots, Math.min(slotsNeeded, options.jobs))(
                execute(node, inputs),
              )
              : execute(node, inputs));
          }),
        ).pipe(Effect.mapError(asStageFailure(node)));
        // the cluster schedules jobs: they take no local compute slot
        const outcome = yield* (executor ? computeElsewhere(node, executor) : run).pipe(
          // the failing stage records itself at once: fail-fast interrupts everyone else after
          Effect.tapError((e) =>
            e._tag === "StageFailed" && e.key === node.key && !results.has(node.key)
              ? record(node, {
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

  /** Executes `run` with a fresh context and writes the output through the store. */
  const execute = (node: PlanNode, inputs: Record<string, unknown>) =>
    Effect.gen(function* () {
      const startedAt = now();
      const t0 = performance.now();
      const logLines: string[] = [];
      const metrics: string[] = [];
      const annotations: Record<string, unknown> = {};
      let resumed = false;
      yield* events.emit({ type: "started", node });
      const scratchDir = yield* Effect.acquireRelease(
        Effect.promise(async () => {
          // named like the store's own tmp items, so a killed run's scratch is swept with them
          const dir = join(store.root, "tmp", `${node.key}.${crypto.randomUUID()}.scratch`);
          await Deno.mkdir(dir, { recursive: true });
          return dir;
        }),
        (dir) => Effect.promise(() => Deno.remove(dir, { recursive: true }).catch(() => undefined)),
      );
      const ctx: StageContext = {
        key: node.key,
        label: node.label,
        seed: node.seed,
        backend: options.backend,
        threads,
        scratchDir,
        progress: (done, total) => events.emit({ type: "progress", node, done, total }),
        log: (rec) =>
          Effect.suspend(() => {
            metrics.push(JSON.stringify(rec));
            return events.emit({ type: "metric", node, record: rec, cached: false });
          }),
        info: (message) =>
          Effect.suspend(() => {
            logLines.push(`${now()} ${message}`);
            return events.emit({ type: "info", node, message });
          }),
        annotate: (facts) => Effect.sync(() => void Object.assign(annotations, facts)),
        checkpoint: <A>(codec: Codec<A>, state: A) =>
          store.saveCheckpoint(node.key, (dir) => Effect.promise(() => codec.write(state, dir)))
            .pipe(Effect.orDie),
        resume: <A>(codec: Codec<A>) =>
          Effect.gen(function* () {
            const dir = yield* store.loadCheckpoint(node.key).pipe(Effect.orDie);
            if (Option.isNone(dir)) return Option.none<A>();
            const state = yield* Effect.tryPromise(() => codec.read(dir.value)).pipe(Effect.option);
            if (Option.isSome(state)) resumed = true;
            return state;
          }),
      };
      const value = yield* node.def.run(ctx, node.params, inputs).pipe(
        Effect.catchCause((cause) =>
          Cause.hasInterruptsOnly(cause)
            ? Effect.failCause(cause as Cause.Cause<never>)
            : Effect.fail(
              new StageFailed({ stage: node.label, key: node.key, cause: Cause.squash(cause) }),
            )
        ),
      );
      const finishedAt = now();
      killPoint("mid-stage");
      yield* store.write(node.key, {
        stage: node.def.name,
        version: node.def.version,
        components: node.components as unknown as Json,
        inputs: node.inputs,
        codec: node.def.output.name,
        timings: { startedAt, finishedAt, durationMs: performance.now() - t0 },
      }, (dir) =>
        Effect.tryPromise({
          try: async () => {
            await node.def.output.write(value, dir);
            // the runner's own files, only when there is something to keep (no-op stages stay cheap)
            const own: [string, string][] = [];
            if (logLines.length) own.push(["log.txt", logLines.join("\n") + "\n"]);
            if (metrics.length) own.push(["metrics.jsonl", metrics.join("\n") + "\n"]);
            if (Object.keys(annotations).length) {
              own.push(["annotations.json", JSON.stringify(annotations) + "\n"]);
            }
            if (own.length) {
              await Deno.mkdir(join(dir, RUNNER_DIR));
            }
            for (const [name, text] of own) {
              await Deno.writeTextFile(join(dir, RUNNER_DIR, name), text);
            }
          },
          catch: (cause) =>
            new StageFailed({
              stage: node.label,
              key: node.key,
              cause: `cannot store the output: ${errorText(cause)}`,
            }),
        })).pipe(Effect.mapError(asStageFailure(node)));
      yield* store.clearCheckpoint(node.key).pipe(Effect.ignore);
      yield* record(node, {
        key: node.key,
        label: node.label,
        status: "ran",
        startedAt,
        finishedAt,
        durationMs: performance.now() - t0,
        resumed,
        error: null,
        annotations,
      });
      // a path-backed value points at the scratch directory the codec emptied: read it back
      const stored = node.def.output.pathBacked ? yield* readStored(node) : value;
      return { value: stored, ran: true, resumed };
    }).pipe(Effect.scoped);

  /** A node's final state: a store hit (no read), or computed now. */
  const materialise = (node: PlanNode): Effect.Effect<void, Failure> =>
    Effect.gen(function* () {
      const hit = yield* store.lookup(node.key).pipe(Effect.mapError(asStageFailure(node)));
      if (Option.isSome(hit)) {
        const meta = hit.value;
        yield* replayMetrics(node, true);
        const annotations = yield* storedAnnotations(node);
        yield* record(node, {
          key: node.key,
          label: node.label,
          status: "cached",
          startedAt: meta.timings?.startedAt ?? null,
          finishedAt: meta.timings?.finishedAt ?? null,
          durationMs: meta.timings?.durationMs ?? null,
          resumed: false,
          error: null,
          annotations,
        });
        return;
      }
      yield* compute(node);
      if (!results.has(node.key)) {
        // produced by another process while we waited for the lock
        yield* record(node, {
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

  /** What the stage recorded with `ctx.annotate`, kept with its entry. */
  const storedAnnotations = (node: PlanNode) =>
    Effect.promise((): Promise<Record<string, unknown>> =>
      Deno.readTextFile(join(store.artifactDir(node.key), RUNNER_DIR, "annotations.json")).then(
        JSON.parse,
      ).catch(() => ({}))
    );

  /** Cached stages still contribute their metrics to the run's metrics.jsonl. */
  const replayMetrics = (node: PlanNode, cached: boolean) =>
    Effect.gen(function* () {
      const text = yield* Effect.promise(() =>
        Deno.readTextFile(join(store.artifactDir(node.key), RUNNER_DIR, "metrics.jsonl")).catch(
          () => "",
        )
      );
      for (const line of text.split("\n")) {
        if (line.trim() === "") continue;
        const rec = yield* Effect.try(() => JSON.parse(line) as Record<string, unknown>).pipe(
          Effect.option,
        );
        if (Option.isSome(rec)) {
          yield* events.emit({ type: "metric", node, record: rec.value, cached });
        }
      }
    });

  const nodes = [...plan.nodes.values()].filter((n) => options.only?.has(n.key) ?? true);
  const handled = (node: PlanNode) =>
    materialise(node).pipe(
      Effect.catch((error: Failure) =>
        Effect.gen(function* () {
          const own = error._tag === "StageFailed" && error.key === node.key;
          const status = own ? "failed" : "skipped";
          if (!results.has(node.key) || results.get(node.key)!.status !== "failed") {
            yield* record(node, {
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
