/** The scheduler's hook for running stages in other processes (implemented in src/executor/). */
import type * as Effect from "effect/Effect";
import type { StageFailed } from "./errors.ts";
import type { PlanNode } from "./plan.ts";

/**
 * The hook for running stages elsewhere (`src/executor/`): a stage it takes runs in another
 * process that reads its inputs from the store and commits its entry to the store; this process
 * only waits. Bookkeeping stages (no `compute`) stay here.
 */
export interface StageExecutor {
  /** Whether `node` runs elsewhere. */
  readonly runsElsewhere: (node: PlanNode) => boolean;
  /**
   * Runs `node` elsewhere until its entry is in the store (its inputs already are); returns
   * facts for the manifest (the job id…). `info` writes a line to the stage's log.
   */
  readonly run: (
    node: PlanNode,
    info: (message: string) => Effect.Effect<void>,
  ) => Effect.Effect<Record<string, unknown>, StageFailed>;
}
