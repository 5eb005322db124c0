/**
 * `deno task quickstart`: a small conditional UNet learns procedural shapes on the CPU in a few
 * minutes, then is sampled (ancestral DDPM, 50 steps) and measured (FD-clf, class entropy).
 */
import { defineExperiment } from "../src/core/experiment.ts";
import { quickstartPipeline } from "../pipelines/quickstart.ts";

export default defineExperiment({
  name: "quickstart",
  description: "conditional UNet on procedural shapes: train, sample, measure",
  pipeline: quickstartPipeline,
  seed: 0,
  defaultProfile: "quick",
  profiles: {
    /** Seconds: what the test suite runs end to end. */
    smoke: {
      params: {
        images: 200,
        classifierSteps: 5,
        widths: [16, 32],
        steps: 6,
        batchSize: 8,
        samplerSteps: 3,
        samples: 16,
      },
    },
    /** The default: a few minutes on 2 cores with the ort backend. */
    quick: {},
    /** Longer training for nicer samples. */
    full: { params: { imageSize: 32, widths: [32, 64, 64], steps: 4000, samples: 2000 } },
  },
});
