/**
 * Min-SNR-γ on Fashion-MNIST (docs/min-snr.md, small-scale protocol).
 *
 *   deno task diffrun run experiments/min-snr.ts --profile quick
 *
 * `quick`: {x0, ε} × {unweighted baseline, min-SNR-5} × 3 seeds; within a seed, identical
 * initialisation, batches and t draws; FD-clf of DDIM-25 samples and the per-timestep-bin loss every
 * `evalEvery` steps. `full` adds the paper's x0-space constant with ε (the divergence claim). Adding γ = 10 later trains only that arm:
 *   … --profile quick -p 'weighting=[{"strategy":"min-snr","gamma":10}]' (with -p target=…)
 */
import { defineExperiment } from "../src/core/experiment.ts";
import { minSnrPipeline } from "../pipelines/min-snr.ts";

const unweighted = { strategy: "unweighted" } as const;
const minSnr = (gamma: number) => ({ strategy: "min-snr", gamma }) as const;
const constant = { strategy: "constant" } as const;

export default defineExperiment({
  name: "min-snr",
  description: "Min-SNR-γ loss weighting vs the unweighted baseline, per prediction target",
  pipeline: minSnrPipeline,
  seed: 0,
  defaultProfile: "quick",
  profiles: {
    /** Seconds, on procedural shapes (no dataset needed): what the test suite runs. */
    smoke: {
      // two seeds per arm, so the suite exercises the aggregation over replicates end to end
      replicates: 2,
      params: {
        data: { source: "shapes", n: 120, size: 8, channels: 1 },
        model: { kind: "unet", widths: [8, 16], resBlocksPerLevel: 1, headDim: 8, middle: "none" },
        steps: 4,
        evalEvery: 2,
        batchSize: 8,
        warmupSteps: 1,
        classifierSteps: 3,
        samples: 8,
        samplerSteps: 2,
        triples: 20,
        bins: 4,
      },
      sweep: { grid: { target: ["x0", "eps"], weighting: [unweighted, minSnr(5)] } },
    },
    /**
     * The small-scale protocol shrunk to fit about 40 minutes on this 2-core machine with three
     * seeds (docs/min-snr.md has the measured time): 300 steps at batch 32, FD-clf of 200 DDIM-25
     * samples every 100 steps, a 300-step classifier (the DMD study's, so one store trains it once).
     * The paper's x0-space constant with ε is left out to keep the time; add it back with
     *   … --profile quick -p 'weighting=[{"strategy":"unweighted"},{"strategy":"min-snr","gamma":5},{"strategy":"constant"}]'
     */
    quick: {
      // three seeds per arm: verdicts need an interval (docs/replicates.md)
      replicates: 3,
      params: { steps: 300, evalEvery: 100, batchSize: 32, samples: 200, classifierSteps: 300 },
      sweep: { grid: { target: ["x0", "eps"], weighting: [unweighted, minSnr(5)] } },
    },
    /** The GPU protocol's grid (expects a bigger model and `--backend tensorflow-gpu`). */
    full: {
      params: {
        model: {
          kind: "unet",
          widths: [128, 256, 256],
          resBlocksPerLevel: 2,
          attentionLevels: [1, 2],
          headDim: 64,
        },
        steps: 200000,
        evalEvery: 10000,
        batchSize: 128,
        samples: 10000,
      },
      sweep: {
        grid: {
          // the paper's headline result is on a ViT; both families at about 35M parameters
          model: [
            {
              kind: "unet",
              widths: [128, 256, 256],
              resBlocksPerLevel: 2,
              attentionLevels: [1, 2],
              headDim: 64,
            },
            { kind: "vit", patchSize: 2, dim: 512, depth: 13, heads: 8 },
          ],
          target: ["eps", "x0", "v"],
          weighting: [
            unweighted,
            constant,
            { strategy: "snr" },
            { strategy: "max-snr", gamma: 1 },
            minSnr(1),
            minSnr(5),
            minSnr(10),
            minSnr(20),
          ],
        },
      },
    },
  },
});
