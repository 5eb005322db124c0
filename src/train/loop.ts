/**
 * The skeleton every training stage shares: resume from the runner's checkpoint, run steps as an
 * interruptible Effect loop, report progress and metrics, checkpoint every N steps, stop on a
 * non-finite loss naming the step and the last good checkpoint, and fail on leaking tensors.
 */
import * as Effect from "effect/Effect";
import * as Option from "effect/Option";
import type { TensorMap } from "../tensor/tensorMap.ts";
import { createLeakGuard } from "../engine/leakGuard.ts";

/**
 * What the loop asks of whoever runs it (a stage passes its runner context through
 * src/stages/loopContext.ts). Aborting is Effect interruption: the loop yields after every step.
 */
export interface LoopContext {
  progress(done: number, total: number): Effect.Effect<void>;
  /** One metrics row (`{ step, loss, … }`). */
  metrics(row: Record<string, number>): Effect.Effect<void>;
  info(message: string): Effect.Effect<void>;
  /** Saves the resumable state, replacing the previous checkpoint. */
  checkpoint(state: TensorMap): Effect.Effect<void>;
  /** The state a previous attempt checkpointed, if any. */
  resume(): Effect.Effect<Option.Option<TensorMap>>;
}

export class NonFiniteLoss extends Error {
  constructor(readonly step: number, readonly lastCheckpoint: number | null, value: number) {
    super(
      `loss became ${value} at step ${step}; ${
        lastCheckpoint === null
          ? "no checkpoint was saved yet"
          : `the last good checkpoint is step ${lastCheckpoint} (re-running resumes there)`
      }. Lower the learning rate or change the weighting.`,
    );
  }
}

export interface TrainingLoop {
  /** Global index of the first step (a segment continuing earlier training starts there). */
  readonly firstStep?: number;
  /** Global index one past the last step. */
  readonly steps: number;
  readonly checkpointEvery: number;
  readonly logEvery: number;
  /** The full resumable state (params, optimizer, RNG positions, history) as tensors. */
  save(): Promise<TensorMap>;
  restore(state: TensorMap): number;
  /** One step; returns metrics, of which `loss` is checked for finiteness. */
  step(step: number): Promise<Record<string, number>>;
  /**
   * On a non-finite loss: "fail" (default) fails the stage naming the step and the last good
   * checkpoint; "stop" ends the loop there and reports the divergence as a result (a study of
   * weightings expects some arms to diverge).
   */
  readonly onNonFinite?: "fail" | "stop";
}

export interface LoopOutcome {
  /** The step the loop started or resumed from. */
  readonly start: number;
  /** The step whose loss was non-finite, when `onNonFinite: "stop"` ended the loop. */
  readonly divergedAt: number | null;
}

/** Runs the loop to `steps`; returns the step it started or resumed from. */
export const runTrainingLoop = (ctx: LoopContext, loop: TrainingLoop) =>
  Effect.gen(function* () {
    let start = loop.firstStep ?? 0;
    const first = start;
    const resumed = yield* ctx.resume();
    if (Option.isSome(resumed)) {
      start = loop.restore(resumed.value);
      yield* ctx.info(`resumed from the checkpoint at step ${start}`);
    }
    const guard = createLeakGuard({ window: 20, warmup: 3 });
    let lastCheckpoint: number | null = Option.isSome(resumed) ? start : null;
    for (let step = start; step < loop.steps; step++) {
      const metrics = yield* Effect.promise(() => loop.step(step));
      const loss = metrics.loss ?? 0;
      if (!Number.isFinite(loss)) {
        return yield* Effect.fail(new NonFiniteLoss(step, lastCheckpoint, loss));
      }
      guard.check();
      const done = step + 1;
      if (done % loop.logEvery === 0 || done === loop.steps) {
        yield* ctx.metrics({ step: done, ...metrics });
      }
      if (done % loop.checkpointEvery === 0 && done < loop.steps) {
        yield* ctx.checkpoint(yield* Effect.promise(() => loop.save()));
        lastCheckpoint = done;
      }
      yield* ctx.progress(done - first, loop.steps - first);
      // a step is mostly synchronous tensor work: yield so Ctrl-C and other fibers get their turn
      yield* Effect.yieldNow;
    }
    return { start, divergedAt: null } satisfies LoopOutcome;
  });
