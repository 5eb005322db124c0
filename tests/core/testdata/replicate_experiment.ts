import { defineExperiment } from "../../../src/core/experiment.ts";
import { replicatePipeline } from "./replicate_pipeline.ts";

export default defineExperiment({
  name: "replicate-toy",
  pipeline: replicatePipeline,
  sweep: { grid: { weighting: ["const", "min-snr"] } },
  backend: "none",
});
