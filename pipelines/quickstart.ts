/**
 * The quickstart pipeline: the whole diffusion workflow at toy scale, end to end.
 *
 *   dataset (procedural shapes) ─┬─ classifier (feature network of FD-clf) ─────────┐
 *                                └─ init-diffusion ─ train-diffusion ─┬─ evaluate (DDPM samples, FD-clf, entropy)
 *                                                                     └─ plot-training (loss curve)
 */
import * as v from "valibot";
import { definePipeline } from "../src/core/pipeline.ts";
import { datasetStage } from "../src/stages/dataset.ts";
import { classifierStage } from "../src/stages/classifier.ts";
import { addTraining } from "../src/stages/training.ts";
import { evaluateStage } from "../src/stages/evaluate.ts";
import { summaryStage } from "../src/stages/summary.ts";
import { plotTrainingStage } from "../src/stages/plots.ts";
import { engineIdentity } from "../src/stages/engineIdentity.ts";
import { TargetSchema } from "../src/diffusion/targets.ts";
import { WeightingConfigSchema } from "../src/diffusion/weightings.ts";
import { Int } from "../src/core/schemas.ts";

export const quickstartPipeline = definePipeline({
  name: "quickstart",
  module: import.meta.url,
  params: v.strictObject({
    /** Procedural images in total (train + test) and their side in pixels. */
    images: v.optional(Int(16), 4000),
    imageSize: v.optional(v.picklist([16, 24, 32]), 16),
    classifierSteps: v.optional(Int(1), 300),
    widths: v.optional(v.array(Int(8)), [32, 64]),
    /**
     * 500 steps keep the quickstart near two minutes on 2 cores; 800 give somewhat sharper shapes
     * (docs/performance-engine.md compares them over 3 seeds, with the grids).
     */
    steps: v.optional(Int(1), 500),
    batchSize: v.optional(Int(2), 32),
    lr: v.optional(v.pipe(v.number(), v.gtValue(0)), 1e-3),
    target: v.optional(TargetSchema, "eps"),
    weighting: v.optional(WeightingConfigSchema, { strategy: "min-snr", gamma: 5 }),
    guidance: v.optional(v.number(), 1),
    /** Ancestral DDPM: at this training length it gives cleaner samples than deterministic DDIM. */
    sampler: v.optional(v.picklist(["ddpm", "ddim", "dpmpp-2m", "heun"]), "ddpm"),
    samplerSteps: v.optional(Int(1), 50),
    samples: v.optional(Int(2), 256),
    /**
     * Seed of the diffusion model's initial weights, batches, timesteps and noise (`--replicates`
     * sets it); default: derived from the experiment's seed.
     */
    trainSeed: v.optional(Int(0)),
  }),
  build: (p, b) => {
    const dataset = b.stage(datasetStage, {
      source: "shapes",
      n: p.images,
      size: p.imageSize,
      channels: 3,
    }, {});
    const classifier = b.stage(classifierStage, {
      widths: [16, 32, 64],
      steps: p.classifierSteps,
      batchSize: 64,
      lr: 2e-3,
    }, { dataset });
    const { final: model } = addTraining(b, dataset, {
      init: {
        model: {
          kind: "unet",
          widths: p.widths,
          resBlocksPerLevel: 1,
          attentionLevels: [],
          middle: "attention",
        },
        conditional: true,
        ...(p.trainSeed === undefined ? {} : { seed: p.trainSeed }),
      },
      train: {
        schedule: { family: "cosine" },
        target: p.target,
        weighting: p.weighting,
        labelDropout: 0.1,
        batchSize: p.batchSize,
        lr: p.lr,
        warmupSteps: Math.min(100, Math.ceil(p.steps / 10)),
        emaDecay: 0.995,
        logEvery: Math.max(1, Math.floor(p.steps / 100)),
        checkpointEvery: Math.max(10, Math.floor(p.steps / 5)),
        ...(p.trainSeed === undefined ? {} : { seed: p.trainSeed }),
      },
      steps: p.steps,
    });
    const evaluation = b.stage(evaluateStage, {
      sampler: p.sampler,
      samplerOptions: { steps: p.samplerSteps },
      samples: p.samples,
      guidance: p.guidance,
      gridImages: 60,
    }, { model, classifier, dataset });
    const plot = b.stage(plotTrainingStage, {}, { model });
    const summary = b.stage(summaryStage, {}, { evaluation, model });
    return { summary, evaluation, plot };
  },
  replicateSeed: "trainSeed",
  engineIdentity,
});
