/**
 * Diffusion training as a chain of cached segments: `init-diffusion` creates the network, and
 * each `train-diffusion` instance continues a start state from step `fromStep` to `toStep` with
 * a target and a loss weighting (docs/methods.md#weightings), AdamW with warm-up and clipping, EMA,
 * label dropout for classifier-free guidance, and checkpoints through the runner. Because every
 * segment is its own cache entry (weights, EMA, optimizer state, loss history), training for 2N
 * steps after N reuses the first N, and evaluations can hang off any segment.
 *
 * With an explicit `seed`, initial weights, batches, timestep draws, noise and label dropout are
 * the same for every arm that shares it: arms then differ only in what they sweep (the Min-SNR
 * protocol's "same seed, same batches and same t draws"). Every step's randomness is derived from
 * (seed, step), so a resumed run draws exactly what an uninterrupted one would have.
 */
import * as v from "valibot";
import * as Effect from "effect/Effect";
import { tf } from "../tensor/tf.ts";
import { defineStage } from "../core/stage.ts";
import { type DatasetSplits, type ModelBundle, modelCodec } from "./codecs.ts";
import { canonicalJson } from "../core/canonicalJson.ts";
import { useEngine } from "./engine.ts";
import { numClasses } from "../data/dataset.ts";
import { Batcher } from "../data/batching.ts";
import { makeSchedule, ScheduleConfigSchema } from "../diffusion/schedules.ts";
import { TargetSchema } from "../diffusion/targets.ts";
import {
  lossMultiplierTable,
  resolveWeighting,
  WeightingConfigSchema,
} from "../diffusion/weightings.ts";
import { deriveSeed } from "../diffusion/rng.ts";
import { makeAdamW } from "../train/adamw.ts";
import { makeEma } from "../train/ema.ts";
import { diffusionStep } from "../train/diffusionStep.ts";
import { capturedLossAndGrads } from "../train/capturedLoss.ts";
import { captureShareSince } from "../engine/mod.ts";
import { runTrainingLoop } from "../train/loop.ts";
import { loopContext } from "./loopContext.ts";
import { addPrefix, toParamRecord, toTensorMap, withPrefix } from "../train/params.ts";
import { buildDenoiser, loadDenoiser, ModelSpecSchema } from "./models.ts";
import { Int, Positive } from "../core/schemas.ts";

/** What a diffusion model artifact records about how it was made and how to sample it. */
export const TrainedConfigSchema = v.strictObject({
  model: v.unknown(),
  /** Null until a training segment has run (the init artifact). */
  schedule: v.nullable(v.unknown()),
  target: v.nullable(TargetSchema),
  weighting: v.nullable(WeightingConfigSchema),
  conditional: v.boolean(),
  numClasses: v.number(),
  imageShape: v.tuple([v.number(), v.number(), v.number()]),
});
export type TrainedConfig = v.InferOutput<typeof TrainedConfigSchema>;
export const diffusionModelCodec = modelCodec(TrainedConfigSchema);

const HistorySchema = v.object({
  columns: v.array(v.string()),
  rows: v.array(v.array(v.number())),
});

// -- init ------------------------------------------------------------------------------------

export const InitDiffusionParams = v.strictObject({
  model: ModelSpecSchema,
  /** Condition on class labels (with a null class for classifier-free guidance). */
  conditional: v.optional(v.boolean(), false),
  /** Seed of the initial weights; arms sharing it start from identical weights. Default: derived. */
  seed: v.optional(Int(0)),
});

export const initDiffusionStage = defineStage({
  name: "init-diffusion",
  version: "1",
  module: import.meta.url,
  params: InitDiffusionParams,
  inputs: ["dataset"],
  output: diffusionModelCodec,
  run: (ctx, p, inputs: { dataset: DatasetSplits }) =>
    Effect.gen(function* () {
      const { train } = inputs.dataset;
      const { height: h, width: w, channels: c } = train.shape;
      if (p.conditional && !train.labels) {
        return yield* Effect.fail(new Error("conditional training needs a labelled dataset"));
      }
      const classes = p.conditional ? numClasses(train) : 0;
      const model = buildDenoiser(
        p.model,
        { channels: c, imageSize: h, numClasses: classes },
        deriveSeed(p.seed ?? ctx.seed, "init"),
      );
      yield* ctx.info(`${model.kind}: ${model.parameterCount()} parameters`);
      const params = toTensorMap(yield* Effect.promise(() => model.params.export()));
      model.params.dispose();
      return {
        kind: model.kind,
        config: {
          model: model.config as unknown,
          schedule: null,
          target: null,
          weighting: null,
          conditional: p.conditional,
          numClasses: classes,
          imageShape: [h, w, c] as [number, number, number],
        },
        params,
        ema: null,
        optimizer: null,
        info: {
          parameters: model.parameterCount(),
          step: 0,
          history: { columns: ["step", "loss", "x0Mse"], rows: [] },
        },
      };
    }),
});

// -- one training segment ----------------------------------------------------------------------

export const TrainSegmentParams = v.strictObject({
  schedule: v.optional(ScheduleConfigSchema, { family: "cosine" }),
  target: v.optional(TargetSchema, "eps"),
  weighting: v.optional(WeightingConfigSchema, { strategy: "unweighted" }),
  /** Probability of replacing a label by the null class during training. */
  labelDropout: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1)), 0.1),
  fromStep: Int(0),
  toStep: Int(1),
  batchSize: v.optional(Int(1), 64),
  lr: v.optional(Positive, 1e-4),
  warmupSteps: v.optional(Int(0), 0),
  weightDecay: v.optional(v.pipe(v.number(), v.minValue(0)), 0),
  gradClip: v.optional(v.pipe(v.number(), v.minValue(0)), 1),
  /** EMA decay of the sampling weights; 0 turns EMA off. */
  emaDecay: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1)), 0.999),
  /** Shared randomness for arms that must see identical batches and draws; default: derived. */
  seed: v.optional(Int(0)),
  logEvery: v.optional(Int(1), 10),
  checkpointEvery: v.optional(Int(1), 100),
  /** "stop": a non-finite loss ends training and is recorded as divergence (weighting studies). */
  onNonFinite: v.optional(v.picklist(["fail", "stop"]), "fail"),
});
export type TrainSegmentParams = v.InferInput<typeof TrainSegmentParams>;

const sameJson = (a: unknown, b: unknown) => canonicalJson(a ?? null) === canonicalJson(b ?? null);

export const trainDiffusionStage = defineStage({
  name: "train-diffusion",
  version: "1",
  module: import.meta.url,
  params: TrainSegmentParams,
  inputs: ["dataset", "start"],
  output: diffusionModelCodec,
  resources: { compute: 1 },
  engineSensitive: true,
  run: (ctx, p, inputs: { dataset: DatasetSplits; start: ModelBundle<TrainedConfig> }) =>
    Effect.gen(function* () {
      yield* useEngine(ctx);
      const start = inputs.start;
      const startStep = Number(start.info.step ?? 0);
      if (startStep !== p.fromStep) {
        return yield* Effect.fail(
          new Error(`the start state is at step ${startStep}, not fromStep ${p.fromStep}`),
        );
      }
      if (p.toStep <= p.fromStep) {
        return yield* Effect.fail(
          new Error(`toStep ${p.toStep} must exceed fromStep ${p.fromStep}`),
        );
      }
      const schedule = makeSchedule(p.schedule);
      if (start.config.target !== null) {
        // continuing a segment: the objective must be the one it was trained with
        const mismatch = (["target", "weighting"] as const).filter((k) =>
          !sameJson(start.config[k], p[k])
        );
        if (!sameJson(start.config.schedule, schedule.config)) mismatch.push("schedule" as never);
        if (mismatch.length > 0) {
          return yield* Effect.fail(
            new Error(`cannot continue training with a different ${mismatch.join(", ")}`),
          );
        }
      }
      if (start.info.divergedAt !== undefined && start.info.divergedAt !== null) {
        // an earlier segment diverged: later segments carry its last good state forward unchanged
        yield* ctx.info(`training diverged at step ${start.info.divergedAt}; nothing to continue`);
        return { ...start, info: { ...start.info, step: p.toStep } };
      }
      const { train } = inputs.dataset;
      const { height: h, width: w, channels: c } = train.shape;
      const classes = start.config.numClasses;
      const seed = p.seed ?? ctx.seed;
      const weighting = resolveWeighting(p.weighting, p.target);
      const multipliers = lossMultiplierTable(weighting, schedule);
      const model = loadDenoiser(start.kind, start.config.model, start.params);
      const opt = makeAdamW(model.params, {
        lr: p.lr,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: p.weightDecay,
        warmupSteps: p.warmupSteps,
        gradClip: p.gradClip,
      });
      if (start.optimizer) opt.importState(start.optimizer);
      const ema = p.emaDecay > 0 ? makeEma(model.params, p.emaDecay) : null;
      if (ema && start.ema) ema.params.import(toParamRecord(start.ema));
      const batcher = new Batcher(train, {
        batchSize: Math.min(p.batchSize, train.shape.n),
        seed: deriveSeed(seed, "batches"),
      });
      const previous = v.parse(HistorySchema, start.info.history ?? { columns: [], rows: [] }).rows
        .flat();
      const history: number[] = [...previous]; // flat [step, loss, x0Mse] triples, all segments
      const weightingText = weighting.describe;
      yield* ctx.info(
        `${model.kind}: ${model.parameterCount()} parameters; steps ${p.fromStep}→${p.toStep}; target ${p.target}; ${weightingText}`,
      );

      const setup = {
        params: model.params,
        forward: (xt: tf.Tensor4D, tt: tf.Tensor1D, yy: tf.Tensor1D | undefined) =>
          model.forward(xt, tt, yy),
        optimizer: opt,
        ema,
        schedule,
        target: p.target,
        multipliers,
        seed,
        classes,
        labelDropout: p.labelDropout,
        imageShape: [h, w, c] as const,
        // loss and gradients: one captured program per batch shape on the ort engine
        lossAndGrads: capturedLossAndGrads({
          trainable: model.params,
          read: () => model.params.names().map((n) => model.params.get(n)),
          forward: (xt, tt, yy) => model.forward(xt, tt, yy),
          target: p.target,
          key: `${start.kind}:${canonicalJson(start.config.model)}`,
        }),
      };
      const captureShare = captureShareSince();
      const outcome = yield* runTrainingLoop(loopContext(ctx), {
        onNonFinite: p.onNonFinite,
        firstStep: p.fromStep,
        steps: p.toStep,
        checkpointEvery: p.checkpointEvery,
        logEvery: p.logEvery,
        save: async () => ({
          ...addPrefix(toTensorMap(await model.params.export()), "params."),
          ...(ema ? addPrefix(toTensorMap(await ema.params.export()), "ema.") : {}),
          ...addPrefix(await opt.exportState(), "adamw."),
          history: { shape: [history.length], data: Float32Array.from(history) },
        }),
        restore: (state) => {
          model.params.import(toParamRecord(withPrefix(state, "params.")));
          if (ema) ema.params.import(toParamRecord(withPrefix(state, "ema.")));
          opt.importState(withPrefix(state, "adamw."));
          history.splice(0, history.length, ...(state.history?.data ?? []));
          return opt.step();
        },
        step: async (step) => {
          const outcome = await diffusionStep(setup, step, batcher.batch(step));
          if (Number.isFinite(outcome.loss)) history.push(step + 1, outcome.loss, outcome.x0Mse);
          return { ...outcome };
        },
      });
      // share of the training kernels that ran inside captured whole graphs (ort engine)
      yield* ctx.annotate({ graphCapture: captureShare() });

      const bundle = {
        kind: start.kind,
        config: {
          ...start.config,
          schedule: schedule.config as unknown,
          target: p.target,
          weighting: p.weighting,
        },
        params: toTensorMap(yield* Effect.promise(() => model.params.export())),
        ema: ema ? toTensorMap(yield* Effect.promise(() => ema.params.export())) : null,
        optimizer: yield* Effect.promise(() => opt.exportState()),
        info: {
          parameters: model.parameterCount(),
          step: p.toStep,
          divergedAt: outcome.divergedAt,
          weighting: weightingText,
          history: { columns: ["step", "loss", "x0Mse"], rows: chunk(history, 3) },
        },
      };
      opt.dispose();
      model.params.dispose();
      ema?.params.dispose();
      return bundle;
    }),
});

const chunk = (xs: readonly number[], k: number): number[][] => {
  const out: number[][] = [];
  for (let i = 0; i < xs.length; i += k) out.push(xs.slice(i, i + k));
  return out;
};
