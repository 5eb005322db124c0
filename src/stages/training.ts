/**
 * Declaring a training run in a pipeline: an init stage and a chain of cached segments.
 */
import type * as v from "valibot";
import type { Builder, Handle } from "../core/pipeline.ts";
import type { DatasetSplits, ModelBundle } from "./codecs.ts";
import {
  type InitDiffusionParams,
  initDiffusionStage,
  trainDiffusionStage,
  type TrainedConfig,
  type TrainSegmentParams,
} from "./trainDiffusion.ts";

export interface TrainingPlan {
  readonly init: v.InferInput<typeof InitDiffusionParams>;
  /** Everything a segment takes except its step range. */
  readonly train: Omit<TrainSegmentParams, "fromStep" | "toStep">;
  readonly steps: number;
  /** Steps per segment (and evaluation point); default: all steps in one segment. */
  readonly segmentSteps?: number;
}

export interface TrainedSegments {
  /** The model after every segment, by global step (ascending). */
  readonly segments: readonly {
    readonly step: number;
    readonly model: Handle<ModelBundle<TrainedConfig>>;
  }[];
  readonly final: Handle<ModelBundle<TrainedConfig>>;
}

/** Adds `init-diffusion` and the `train-diffusion` segments to a build; returns their handles. */
export const addTraining = (
  b: Builder,
  dataset: Handle<DatasetSplits>,
  plan: TrainingPlan,
  label?: string,
): TrainedSegments => {
  let model: Handle<ModelBundle<TrainedConfig>> = b.stage(initDiffusionStage, plan.init, {
    dataset,
  });
  const every = plan.segmentSteps ?? plan.steps;
  const segments: { step: number; model: Handle<ModelBundle<TrainedConfig>> }[] = [];
  for (let from = 0; from < plan.steps; from += every) {
    const to = Math.min(from + every, plan.steps);
    model = b.stage(trainDiffusionStage, { ...plan.train, fromStep: from, toStep: to }, {
      dataset,
      start: model,
    }, {
      label: `${label ? `${label},` : ""}step ${to}`,
    });
    segments.push({ step: to, model });
  }
  return { segments, final: model };
};
