/**
 * The Min-SNR-γ study (docs/min-snr.md): one training per (target, weighting) arm from identical
 * initial weights, batches, timestep draws and noise, evaluated every `evalEvery` steps.
 *
 *   dataset ─┬─ classifier (feature network of FD-clf, shared) ──────────────┐
 *            └─ init-diffusion (shared) ─ train-diffusion segments per arm ─┬─ evaluate (FD-clf) per segment
 *                                                                         └─ binned-loss (Figure 6) per segment
 *   per arm: min-snr-curves ─ min-snr-summary;   across arms: min-snr-report
 */
import * as v from "valibot";
import { definePipeline, type Handle } from "../src/core/pipeline.ts";
import { InvalidCombination } from "../src/core/plan.ts";
import {
  addDataset,
  addDiffusionTraining,
  addFeatureClassifier,
  StudyDataParam,
  StudyModelParam,
} from "../src/stages/studyBlocks.ts";
import { evaluateStage, type Evaluation } from "../src/stages/evaluate.ts";
import { type BinnedLoss, binnedLossStage } from "../src/stages/binnedLoss.ts";
import type { WithFiles } from "../src/stages/codecs.ts";
import { engineIdentity } from "../src/stages/engineIdentity.ts";
import { TargetSchema } from "../src/diffusion/targets.ts";
import { resolveWeighting, WeightingConfigSchema } from "../src/diffusion/weightings.ts";
import { type ArmCurves, armCurvesStage, armSummaryStage } from "../src/studies/minSnrCurves.ts";
import { minSnrReportStage } from "../src/studies/minSnrReport.ts";
import { Int } from "../src/core/schemas.ts";

export const minSnrPipeline = definePipeline({
  name: "min-snr",
  module: import.meta.url,
  params: v.strictObject({
    data: StudyDataParam,
    model: StudyModelParam,
    target: v.optional(TargetSchema, "eps"),
    weighting: v.optional(WeightingConfigSchema, { strategy: "min-snr", gamma: 5 }),
    steps: v.optional(Int(1), 1500),
    evalEvery: v.optional(Int(1), 250),
    batchSize: v.optional(Int(1), 64),
    lr: v.optional(v.pipe(v.number(), v.gtValue(0)), 1e-3),
    warmupSteps: v.optional(Int(0), 100),
    emaDecay: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1)), 0.999),
    /** Shared by every arm: identical initial weights, batches, t draws and noise. */
    trainSeed: v.optional(Int(0), 0),
    classifierSteps: v.optional(Int(1), 600),
    samples: v.optional(Int(2), 1000),
    samplerSteps: v.optional(Int(1), 25),
    triples: v.optional(Int(1), 1000),
    bins: v.optional(Int(1), 10),
    /** FD-clf threshold of the speed-up table; null: the baseline's final FD × 1.2. */
    fdThreshold: v.optional(v.nullable(v.number()), null),
  }),
  build: (p, b) => {
    if (p.steps % p.evalEvery !== 0) {
      throw new InvalidCombination(
        "evalEvery",
        `evalEvery (${p.evalEvery}) must divide steps (${p.steps})`,
      );
    }
    const dataset = addDataset(b, p.data);
    const classifier = addFeatureClassifier(b, dataset, p.classifierSteps);
    const { segments, final } = addDiffusionTraining(b, dataset, {
      model: p.model,
      conditional: false,
      target: p.target,
      weighting: p.weighting,
      batchSize: p.batchSize,
      lr: p.lr,
      warmupSteps: p.warmupSteps,
      emaDecay: p.emaDecay,
      seed: p.trainSeed,
      steps: p.steps,
      segmentSteps: p.evalEvery,
    });
    const evals: Record<string, Handle<WithFiles<Evaluation>>> = {};
    const bins: Record<string, Handle<BinnedLoss>> = {};
    for (const { step, model } of segments) {
      evals[step] = b.stage(
        evaluateStage,
        {
          sampler: "ddim",
          samplerOptions: { steps: p.samplerSteps },
          samples: p.samples,
          seed: 0,
          gridImages: 64,
        },
        { model, classifier, dataset },
        { label: `step ${step}` },
      );
      bins[step] = b.stage(
        binnedLossStage,
        { triples: p.triples, bins: p.bins, seed: 0 },
        { model, dataset },
        { label: `step ${step}` },
      );
    }
    const arm = `${p.target}/${resolveWeighting(p.weighting, p.target).label}`;
    const curves = b.stage(
      armCurvesStage,
      { arm, target: p.target, weighting: p.weighting },
      { evals, bins, final },
    );
    return { curves, summary: b.stage(armSummaryStage, {}, { curves }) };
  },
  aggregate: (arms, b) => {
    const curves: Record<string, Handle<ArmCurves>> = {};
    for (const a of arms) curves[a.id] = a.outputs.curves as Handle<ArmCurves>;
    const threshold = arms[0]?.params.fdThreshold ?? null;
    return { report: b.stage(minSnrReportStage, { threshold }, { arms: curves }) };
  },
  engineIdentity,
  // `replicates: n` runs every arm with trainSeed = 0..n−1 (docs/replicates.md)
  replicateSeed: "trainSeed",
});
