/** A stage's runner context seen as the training loop's context (src/train/loop.ts). */
import type { StageContext } from "../core/stage.ts";
import type { LoopContext } from "../train/loop.ts";
import { tensors } from "../tensor/safetensors.ts";

export const loopContext = (ctx: StageContext): LoopContext => ({
  progress: (done, total) => ctx.progress(done, total),
  metrics: (row) => ctx.log(row),
  info: (message) => ctx.info(message),
  checkpoint: (state) => ctx.checkpoint(tensors, state),
  resume: () => ctx.resume(tensors),
});
