/**
 * Distribution Matching Distillation on Fashion-MNIST (docs/dmd.md, small-scale protocol).
 *
 *   deno task diffrun run experiments/dmd.ts --profile quick
 *
 * Four arms from one teacher, one classifier and one set of regression pairs: regression only;
 * matching only (1:1); DMD (matching + regression, 1:1); DMD2-style (matching, 5:1). More pairs
 * later (`-p pairs=4000`) compute only the new shards.
 */
import { defineExperiment } from "../src/core/experiment.ts";
import { dmdPipeline } from "../pipelines/dmd.ts";

const arms = ["regression", "matching", "dmd", "dmd2"] as const;

export default defineExperiment({
  name: "dmd",
  description: "one-step generators distilled from a conditional teacher: the DMD ablation",
  pipeline: dmdPipeline,
  seed: 0,
  defaultProfile: "quick",
  profiles: {
    /** Seconds, on procedural shapes (no dataset needed): what the test suite runs. */
    smoke: {
      params: {
        data: { source: "shapes", n: 120, size: 8, channels: 1 },
        model: { kind: "unet", widths: [8, 16], resBlocksPerLevel: 1, headDim: 8, middle: "none" },
        teacherSteps: 4,
        teacherSegment: 4,
        teacherWarmup: 1,
        teacherBatch: 8,
        classifierSteps: 3,
        pairs: 16,
        shardSize: 8,
        pairSteps: 3,
        guidance: 2,
        distillSteps: 3,
        distillBatch: 4,
        samples: 8,
        teacherSamplerSteps: [3, 1],
      },
      sweep: { grid: { arm: [...arms] } },
    },
    /**
     * The small-scale protocol shrunk to fit about 35 minutes on 2 cores with three seeds
     * (measured in docs/dmd.md): a 500-step teacher, 500 DDIM-50 pairs instead of 2K, 100 generator
     * steps at batch 16 instead of 400 at 32, no guidance, a 300-step classifier and 300 samples
     * per FD-clf. `-p teacherSteps=1000 -p pairs=2000 -p distillSteps=400 -p distillBatch=32`
     * restores the protocol's sizes (and reuses the first 500 teacher steps and the first 500 pairs).
     */
    quick: {
      // three seeds per arm: verdicts need an interval (docs/replicates.md)
      replicates: 3,
      params: {
        classifierSteps: 300,
        teacherSteps: 500,
        pairs: 500,
        shardSize: 250,
        distillSteps: 100,
        distillBatch: 16,
        lr: 1e-4,
        fakeLr: 1e-4,
        guidance: 1,
        samples: 300,
      },
      sweep: { grid: { arm: [...arms] } },
    },
    /** The study's protocol at full size (2K DDIM-50 pairs, 400 steps at batch 32, 10K samples). */
    full: {
      params: {
        teacherSteps: 5000,
        teacherBatch: 64,
        pairs: 2000,
        distillSteps: 400,
        distillBatch: 32,
        guidance: 2,
        samples: 10000,
      },
      sweep: { grid: { arm: [...arms] } },
    },
  },
});
