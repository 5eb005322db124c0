/**
 * RunEvents: what the scheduler tells the outside world while a plan runs.
 *
 * The real layer (runDir.ts + progress.ts) writes the run directory and draws progress; the test
 * layer records events in memory. The scheduler never writes files of its own except through
 * the store.
 */
import * as Context from "effect/Context";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import type { PlanNode } from "./plan.ts";

export type NodeStatus = "cached" | "ran" | "failed" | "skipped" | "interrupted";

export interface NodeResult {
  readonly key: string;
  readonly label: string;
  readonly status: NodeStatus;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly durationMs: number | null;
  /** Whether the stage resumed from a checkpoint of an earlier attempt. */
  readonly resumed: boolean;
  readonly error: string | null;
  /** Facts the stage recorded with `ctx.annotate` (the engine that ran it…). */
  readonly annotations?: Readonly<Record<string, unknown>>;
  /** The entry's artifact files (relative, `/`-separated) when it ran or was cached. */
  readonly files?: readonly string[];
}

export type RunEvent =
  | { readonly type: "started"; readonly node: PlanNode }
  | {
    readonly type: "progress";
    readonly node: PlanNode;
    readonly done: number;
    readonly total: number;
  }
  | {
    readonly type: "metric";
    readonly node: PlanNode;
    readonly record: Record<string, unknown>;
    readonly cached: boolean;
  }
  | { readonly type: "info"; readonly node: PlanNode; readonly message: string }
  | { readonly type: "finished"; readonly node: PlanNode; readonly result: NodeResult };

export class RunEvents extends Context.Service<RunEvents, {
  readonly emit: (event: RunEvent) => Effect.Effect<void>;
}>()("diffrun/core/RunEvents") {
  /** Drops every event (planning-only commands, benchmarks). */
  static readonly layerSilent = Layer.succeed(RunEvents, RunEvents.of({ emit: () => Effect.void }));

  /** Collects events into the given array (tests). */
  static readonly layerCollect = (into: RunEvent[]) =>
    Layer.succeed(RunEvents, RunEvents.of({ emit: (e) => Effect.sync(() => void into.push(e)) }));

  /** Sends every event to several sinks, in order. */
  static readonly fanOut = (sinks: readonly ((e: RunEvent) => Effect.Effect<void>)[]) =>
    Layer.succeed(
      RunEvents,
      RunEvents.of({ emit: (e) => Effect.forEach(sinks, (s) => s(e), { discard: true }) }),
    );
}
