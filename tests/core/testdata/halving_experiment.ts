/**
 * Six arms with known loss curves (halving_pipeline.ts) under successive halving at steps
 * 2 → 4 → 8, keeping half: rung 1 keeps good, fast, steady (3 of 6); rung 2 keeps good and fast
 * (fast ties steady at step 4 and was declared first); the survivors are good, then fast.
 */
import { defineExperiment } from "../../../src/core/experiment.ts";
import { halvingPipeline } from "./halving_pipeline.ts";

export default defineExperiment({
  name: "halving-toy",
  pipeline: halvingPipeline,
  params: { segment: 2 },
  sweep: {
    grid: { arm: ["fast", "steady", "late", "flat", "diverges", "good"] },
    halving: { metric: "eval.loss", mode: "min", rungs: [2, 4, 8], keep: 1 / 2 },
  },
  backend: "none",
});
