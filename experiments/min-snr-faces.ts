/**
 * Min-SNR-γ on your own image folder, CelebA-style: centre crop 140 px, resize to 32, RGB.
 *
 *   DIFFRUN_FACES=/path/to/img_align_celeba deno task diffrun run experiments/min-snr-faces.ts
 *
 * The same pipeline as experiments/min-snr.ts; only the data differ. A missing folder is a plan
 * error naming the path (nothing runs). The folder must be readable by the `diffrun` task's
 * permissions (add `--allow-read=<folder>` when it lies outside the project and /tmp).
 */
import { defineExperiment } from "../src/core/experiment.ts";
import { minSnrPipeline } from "../pipelines/min-snr.ts";
import { envGet } from "../src/platform/process.ts";

const folder = envGet("DIFFRUN_FACES") ?? "data/faces";

export default defineExperiment({
  name: "min-snr-faces",
  description: "Min-SNR-γ on an image folder (CelebA's 140-px centre crop, resized)",
  pipeline: minSnrPipeline,
  seed: 0,
  params: {
    data: {
      source: "folder",
      dir: folder,
      size: 32,
      crop: 140,
      channels: 3,
      labels: "none",
      limit: 20000,
    },
    model: { kind: "unet", widths: [32, 64, 64], resBlocksPerLevel: 1, headDim: 32 },
  },
  defaultProfile: "quick",
  profiles: {
    /** Seconds, on a handful of images (any size): what the test suite runs on its own folder. */
    smoke: {
      params: {
        data: { size: 8, crop: "square", channels: 1, limit: 40, testFraction: 0.25 },
        model: { kind: "unet", widths: [8, 16], resBlocksPerLevel: 1, headDim: 8, middle: "none" },
        steps: 2,
        evalEvery: 2,
        batchSize: 4,
        warmupSteps: 1,
        classifierSteps: 2,
        samples: 4,
        samplerSteps: 2,
        triples: 8,
        bins: 2,
      },
    },
    quick: {
      params: { steps: 2000, evalEvery: 500, batchSize: 32, samples: 500 },
      sweep: {
        grid: {
          target: ["x0", "eps"],
          weighting: [{ strategy: "unweighted" }, { strategy: "min-snr", gamma: 5 }],
        },
      },
    },
  },
});
