import { defineExperiment } from "../../../src/core/experiment.ts";
import { toyPipeline } from "../../core/testdata/toy_pipeline.ts";

/** The toy pipeline with Slurm settings: `scale` (a compute stage) runs as one job per arm. */
export default defineExperiment({
  name: "toy-slurm",
  pipeline: toyPipeline,
  params: { n: 4 },
  sweep: { grid: { factor: [1, 2, 3] } },
  seed: 7,
  backend: "none",
  slurm: {
    resources: { cpus: 1, time: "5:00" },
    stages: { scale: { sbatch: ["--comment=diffrun-test"] } },
    pollSeconds: 0.3,
  },
  profiles: {
    smoke: { params: { n: 3 } },
    slow: { params: { sleepMs: 300, steps: 40 }, sweep: { grid: { factor: [1, 2] } } },
    failing: { params: { failFactor: 2, steps: 4 } },
  },
});
