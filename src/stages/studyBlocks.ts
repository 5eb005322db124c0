/**
 * The building blocks every study pipeline starts from: the dataset (located at plan time), the
 * FD-clf feature classifier, and a diffusion model trained in cached segments. One definition
 * with one set of defaults, so two studies asking for the same thing get the same cache keys.
 */
import * as v from "valibot";
import type { Builder, Handle } from "../core/pipeline.ts";
import type { DatasetSplits } from "./codecs.ts";
import { DatasetParams, datasetStage, resolveDatasetParams } from "./dataset.ts";
import { classifierStage } from "./classifier.ts";
import { addTraining, type TrainedSegments, type TrainingPlan } from "./training.ts";
import { ModelSpecSchema } from "./models.ts";

/** A study's `data` param: Fashion-MNIST (dir resolved at plan time), an image folder, or shapes. */
export const StudyDataParam = v.optional(DatasetParams, { source: "fashion-mnist", dir: "" });

/** A study's `model` param, by default the small UNet of the studies' small-scale protocols. */
export const StudyModelParam = v.optional(ModelSpecSchema, {
  kind: "unet",
  widths: [16, 32, 32],
  resBlocksPerLevel: 1,
  headDim: 16,
});

/** Adds the dataset stage; data locations and file identity are resolved now (dataset.ts), so a
 * missing dataset stops the plan before anything runs. */
export const addDataset = (
  b: Builder,
  data: v.InferOutput<typeof DatasetParams>,
): Handle<DatasetSplits> => b.stage(datasetStage, resolveDatasetParams(data), {});

/** Adds the feature network of FD-clf (and of the perceptual distance) trained on `dataset`. */
export const addFeatureClassifier = (
  b: Builder,
  dataset: Handle<DatasetSplits>,
  steps: number,
) =>
  b.stage(classifierStage, { steps, widths: [32, 64, 128], batchSize: 128, lr: 2e-3 }, {
    dataset,
  });

type TrainParams = TrainingPlan["train"];

/** What a study chooses about a diffusion model's training; the rest is common to all studies. */
export interface DiffusionTraining {
  readonly model: TrainingPlan["init"]["model"];
  /** Class-conditional (with label dropout for classifier-free guidance) or unconditional. */
  readonly conditional: boolean;
  readonly target: NonNullable<TrainParams["target"]>;
  readonly weighting: NonNullable<TrainParams["weighting"]>;
  readonly batchSize: number;
  readonly lr: number;
  readonly warmupSteps: number;
  readonly emaDecay?: number;
  readonly labelDropout?: number;
  /** Initial weights, batches, t draws and noise: arms sharing it see identical randomness. */
  readonly seed: number;
  readonly steps: number;
  /** Steps per cached segment (and evaluation point); default: one segment. */
  readonly segmentSteps?: number;
}

/**
 * Adds `init-diffusion` and the `train-diffusion` segments with the studies' common settings:
 * cosine schedule, EMA 0.999, a non-finite loss recorded as divergence, and log and checkpoint
 * cadences set by the segment length.
 */
export const addDiffusionTraining = (
  b: Builder,
  dataset: Handle<DatasetSplits>,
  t: DiffusionTraining,
  label?: string,
): TrainedSegments => {
  const segment = t.segmentSteps ?? t.steps;
  return addTraining(b, dataset, {
    init: { model: t.model, conditional: t.conditional, seed: t.seed },
    train: {
      schedule: { family: "cosine" },
      target: t.target,
      weighting: t.weighting,
      ...(t.labelDropout === undefined ? {} : { labelDropout: t.labelDropout }),
      batchSize: t.batchSize,
      lr: t.lr,
      warmupSteps: t.warmupSteps,
      emaDecay: t.emaDecay ?? 0.999,
      seed: t.seed,
      logEvery: Math.max(1, Math.floor(segment / 25)),
      checkpointEvery: Math.max(10, Math.floor(segment / 2)),
      onNonFinite: "stop",
    },
    steps: t.steps,
    ...(t.segmentSteps === undefined ? {} : { segmentSteps: t.segmentSteps }),
  }, label);
};
