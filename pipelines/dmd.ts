/**
 * The Distribution Matching Distillation study (docs/dmd.md, docs/methods.md#dmd-loss): one-step generators distilled from a
 * class-conditional teacher, in four arms (regression only; matching only 1:1; DMD; DMD2-style
 * 5:1), against the teacher's DDIM with 50, 4 and 1 steps.
 *
 *   dataset ─┬─ classifier (FD-clf features, perceptual distance) ─────────────────────────────┐
 *            └─ init-diffusion ─ train-diffusion (teacher, label dropout) ─┬─ evaluate DDIM-50/4/1 ┤
 *                                   regression-pairs shard 0, 1, … ────────┤                    │
 *                                                        dmd-distill (arm) ─ evaluate 1 step ───┤
 *   across arms: dmd-report (table, grids, loss curves, verdict)                                │
 *
 * The teacher's stages take the same params as any other pipeline training the same model, so
 * they share its cache key; the pairs come in shards of `shardSize`, so asking for more pairs
 * computes only the new shards.
 */
import * as v from "valibot";
import { definePipeline, type Handle } from "../src/core/pipeline.ts";
import { InvalidCombination } from "../src/core/plan.ts";
import { replicateArmId } from "../src/core/replicates.ts";
import {
  addDataset,
  addDiffusionTraining,
  addFeatureClassifier,
  StudyDataParam,
  StudyModelParam,
} from "../src/stages/studyBlocks.ts";
import { evaluateStage, type Evaluation } from "../src/stages/evaluate.ts";
import type { ModelBundle, WithFiles } from "../src/stages/codecs.ts";
import type { TrainedConfig } from "../src/stages/trainDiffusion.ts";
import type { TensorMap } from "../src/tensor/tensorMap.ts";
import { engineIdentity } from "../src/stages/engineIdentity.ts";
import { TargetSchema } from "../src/diffusion/targets.ts";
import { WeightingConfigSchema } from "../src/diffusion/weightings.ts";
import { PairSamplerSchema, regressionPairsStage } from "../src/stages/regressionPairs.ts";
import { distillStage } from "../src/studies/dmdDistill.ts";
import { dmdSummaryStage } from "../src/studies/dmdSummary.ts";
import { dmdReportStage } from "../src/studies/dmdReport.ts";
import { Int, Positive } from "../src/core/schemas.ts";

/** The four arms of the study's small-scale protocol (docs/dmd.md). */
export const DMD_ARMS = {
  regression: { matching: false, ratio: 0, regression: true, describe: "regression only" },
  matching: { matching: true, ratio: 1, regression: false, describe: "matching only, 1:1" },
  dmd: { matching: true, ratio: 1, regression: true, describe: "DMD (matching + regression, 1:1)" },
  dmd2: { matching: true, ratio: 5, regression: false, describe: "DMD2-style (matching, 5:1)" },
} as const;
export type DmdArm = keyof typeof DMD_ARMS;

export const dmdPipeline = definePipeline({
  name: "dmd",
  module: import.meta.url,
  params: v.strictObject({
    data: StudyDataParam,
    // -- the teacher (a class-conditional model trained with label dropout) --
    model: StudyModelParam,
    /** x0 (or v): the generator is the network at t = T−1, where an ε-model's x̂0 divides by α ≈ 0. */
    target: v.optional(TargetSchema, "x0"),
    weighting: v.optional(WeightingConfigSchema, { strategy: "min-snr", gamma: 5 }),
    teacherSteps: v.optional(Int(1), 1000),
    teacherBatch: v.optional(Int(1), 32),
    teacherLr: v.optional(Positive, 1e-3),
    teacherWarmup: v.optional(Int(0), 100),
    /** Steps per cached training segment (Min-SNR's `evalEvery`). */
    teacherSegment: v.optional(Int(1), 250),
    labelDropout: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1)), 0.1),
    trainSeed: v.optional(Int(0), 0),
    classifierSteps: v.optional(Int(1), 600),
    // -- regression pairs --
    pairs: v.optional(Int(1), 2000),
    shardSize: v.optional(Int(1), 250),
    pairSampler: v.optional(PairSamplerSchema, "ddim"),
    pairSteps: v.optional(Int(1), 50),
    /** CFG scale of the pairs' sampler and of the real score (the fake score is unguided). */
    guidance: v.optional(v.pipe(v.number(), v.finite()), 1),
    pairSeed: v.optional(Int(0), 0),
    // -- distillation --
    arm: v.optional(v.picklist(Object.keys(DMD_ARMS) as DmdArm[]), "dmd"),
    distillSteps: v.optional(Int(1), 400),
    distillBatch: v.optional(Int(1), 32),
    lr: v.optional(Positive, 2e-5),
    fakeLr: v.optional(Positive, 2e-5),
    lambdaReg: v.optional(v.pipe(v.number(), v.gtValue(0)), 0.25),
    distillSeed: v.optional(Int(0), 0),
    // -- evaluation --
    samples: v.optional(Int(2), 1000),
    teacherSamplerSteps: v.optional(v.array(Int(1)), [50, 4, 1]),
  }),
  build: (p, b) => {
    if (p.teacherSteps % p.teacherSegment !== 0) {
      throw new InvalidCombination(
        "teacherSegment",
        `teacherSegment (${p.teacherSegment}) must divide teacherSteps (${p.teacherSteps})`,
      );
    }
    if (p.pairs % p.shardSize !== 0) {
      throw new InvalidCombination(
        "shardSize",
        `shardSize (${p.shardSize}) must divide pairs (${p.pairs}) so that shards can be reused`,
      );
    }
    const dataset = addDataset(b, p.data);
    const classifier = addFeatureClassifier(b, dataset, p.classifierSteps);
    // the teacher is trained by the block every study shares (segments of `teacherSegment`
    // steps, same cadences and seed), so it differs from a Min-SNR arm with the same model,
    // target and weighting only in being class-conditional
    const { final: teacher } = addDiffusionTraining(b, dataset, {
      model: p.model,
      conditional: true,
      target: p.target,
      weighting: p.weighting,
      labelDropout: p.labelDropout,
      batchSize: p.teacherBatch,
      lr: p.teacherLr,
      warmupSteps: p.teacherWarmup,
      seed: p.trainSeed,
      steps: p.teacherSteps,
      segmentSteps: p.teacherSegment,
    }, "teacher");
    const evalParams = (sampler: string, steps: number, guidance: number, useEma: boolean) => ({
      sampler,
      samplerOptions: { steps },
      samples: p.samples,
      guidance,
      seed: 0,
      useEma,
      gridImages: 60,
    });
    const teacherEvals: Record<string, Handle<WithFiles<Evaluation>>> = {};
    for (const steps of p.teacherSamplerSteps) {
      teacherEvals[steps] = b.stage(
        evaluateStage,
        evalParams("ddim", steps, p.guidance, true),
        { model: teacher, classifier, dataset },
        { label: `teacher ddim-${steps}` },
      );
    }
    const arm = DMD_ARMS[p.arm];
    const pairs: Record<string, Handle<TensorMap>> = {};
    if (arm.regression) {
      for (let shard = 0; shard < p.pairs / p.shardSize; shard++) {
        pairs[shard] = b.stage(
          regressionPairsStage,
          {
            sampler: p.pairSampler,
            steps: p.pairSteps,
            guidance: p.guidance,
            seed: p.pairSeed,
            shard,
            size: p.shardSize,
          },
          { teacher },
          { label: `shard ${shard}` },
        );
      }
    }
    const generator = b.stage(
      distillStage,
      {
        matching: arm.matching,
        lambdaReg: arm.regression ? p.lambdaReg : 0,
        ratio: arm.ratio,
        guidance: p.guidance,
        steps: p.distillSteps,
        batchSize: p.distillBatch,
        lr: p.lr,
        fakeLr: p.fakeLr,
        seed: p.distillSeed,
        logEvery: 1,
        checkpointEvery: Math.max(10, Math.floor(p.distillSteps / 4)),
      },
      { teacher, ...(arm.regression ? { classifier } : {}), pairs },
      { label: p.arm },
    );
    // one step of DDIM under trailing spacing is the network at t = T−1: the generator itself
    const evaluation = b.stage(
      evaluateStage,
      evalParams("ddim", 1, 1, false),
      { model: generator, classifier, dataset },
      { label: `${p.arm} one-step` },
    );
    const summary = b.stage(dmdSummaryStage, { arm: p.arm }, { evaluation, generator });
    const teacherOutputs = Object.entries(teacherEvals).map((
      [steps, h],
    ) => [`teacher:${steps}`, h]);
    return { evaluation, generator, summary, ...Object.fromEntries(teacherOutputs) };
  },
  aggregate: (arms, b) => {
    const teacher: Record<string, Handle<WithFiles<Evaluation>>> = {};
    const evals: Record<string, Handle<WithFiles<Evaluation>>> = {};
    const generators: Record<string, Handle<ModelBundle<TrainedConfig>>> = {};
    for (const a of arms) {
      for (const steps of a.params.teacherSamplerSteps) {
        teacher[steps] = a.outputs[`teacher:${steps}`] as Handle<WithFiles<Evaluation>>;
      }
      // each replicate's generator under its own name; the teacher is shared by the seeds
      const name = a.replicate === null ? a.params.arm : replicateArmId(a.params.arm, a.replicate);
      evals[name] = a.outputs.evaluation as Handle<WithFiles<Evaluation>>;
      generators[name] = a.outputs.generator as Handle<ModelBundle<TrainedConfig>>;
    }
    const first = arms[0]?.params;
    const order = Object.keys(DMD_ARMS) as DmdArm[];
    const present = order.filter((name) => arms.some((a) => a.params.arm === name));
    return {
      report: b.stage(dmdReportStage, {
        arms: present.map((name) => ({ name, describe: DMD_ARMS[name].describe })),
        pairs: first
          ? `${first.pairs} ${first.pairSampler}-${first.pairSteps} pairs (guidance ${first.guidance}) in shards of ${first.shardSize}`
          : "none",
      }, { teacher, evals, generators }),
    };
  },
  engineIdentity,
  // `replicates: n` runs every arm with distillSeed = 0..n−1 (docs/replicates.md)
  replicateSeed: "distillSeed",
});
