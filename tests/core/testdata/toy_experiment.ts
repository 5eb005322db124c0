import { defineExperiment } from "../../../src/core/experiment.ts";
import { toyPipeline } from "./toy_pipeline.ts";

export default defineExperiment({
  name: "toy",
  pipeline: toyPipeline,
  params: { n: 4 },
  sweep: { grid: { factor: [1, 2, 3] } },
  seed: 7,
  backend: "none",
  profiles: {
    smoke: { params: { n: 3 } },
    slow: { params: { sleepMs: 200, steps: 20 }, sweep: { grid: { factor: [1] } } },
  },
});
