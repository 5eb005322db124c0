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

const folder = Deno.env.get("DIFFRUN_FACES") ?? "data/faces";

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
