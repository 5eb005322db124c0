/**
 * Executing one stage in this process: a fresh context (scratch directory, log, metrics,
 * annotations, checkpoints), the stage's `run`, and its output written through the store.
 */
import * as Cause from "effect/Cause";
import * as Effect from "effect/Effect";
import * as Option from "effect/Option";
import { join } from "node:path";
import type { PlanNode } from "./plan.ts";
import { StageFailed } from "./errors.ts";
import type { Codec } from "./codec.ts";
import { type StageContext, structuredInputs } from "./stage.ts";
import type { Json } from "./canonicalJson.ts";
import { writeRunnerFiles } from "./runnerFiles.ts";
import { killPoint } from "../store/killPoint.ts";
import { asStageFailure, now, readStored, record, type SchedulerState } from "./schedulerState.ts";
import * as fsys from "../platform/fs.ts";

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** An empty scratch directory on the store's filesystem, removed when the scope closes. */
const scratchDirectory = (s: SchedulerState, node: PlanNode) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      // named like the store's own tmp items, so a killed run's scratch is swept with them
      const dir = join(s.store.root, "tmp", `${node.key}.${crypto.randomUUID()}.scratch`);
      await fsys.mkdir(dir, { recursive: true });
      return dir;
    }),
    (dir) => Effect.promise(() => fsys.remove(dir, { recursive: true }).catch(() => undefined)),
  );

/** Executes `run` with a fresh context and writes the output through the store. */
export const executeStage = (
  s: SchedulerState,
  node: PlanNode,
  inputs: Record<string, unknown>,
) =>
  Effect.gen(function* () {
    const { store, events } = s;
    const startedAt = now();
    const t0 = performance.now();
    const logLines: string[] = [];
    const metrics: string[] = [];
    const annotations: Record<string, unknown> = {};
    let resumed = false;
    yield* events.emit({ type: "started", node });
    const scratchDir = yield* scratchDirectory(s, node);
    const ctx: StageContext = {
      key: node.key,
      label: node.label,
      seed: node.seed,
      backend: s.options.backend,
      threads: s.threads,
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
    const value = yield* node.def.run(ctx, node.params, structuredInputs(node.def.inputs, inputs))
      .pipe(
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
    const meta = yield* store.write(node.key, {
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
          await writeRunnerFiles(dir, { logLines, metrics, annotations });
        },
        catch: (cause) =>
          new StageFailed({
            stage: node.label,
            key: node.key,
            cause: `cannot store the output: ${errorText(cause)}`,
          }),
      })).pipe(Effect.mapError(asStageFailure(node)));
    yield* store.clearCheckpoint(node.key).pipe(Effect.ignore);
    yield* record(s, node, {
      key: node.key,
      label: node.label,
      status: "ran",
      startedAt,
      finishedAt,
      durationMs: performance.now() - t0,
      resumed,
      error: null,
      annotations,
      files: meta.files.map((f) => f.path),
    });
    // a path-backed value points at the scratch directory the codec emptied: read it back
    const stored = node.def.output.pathBacked ? yield* readStored(s, node) : value;
    return { value: stored, ran: true, resumed };
  }).pipe(Effect.scoped);
