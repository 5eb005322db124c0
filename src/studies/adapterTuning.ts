/**
 * Tuning one arm of the adapter study on the target domain: the pretrained base model stays
 * frozen and only the adapter's weights are in the optimiser (method "adapter"); the baselines
 * are full fine-tuning (every base weight in the optimiser, "full") and the frozen base
 * ("frozen", nothing trains). Every arm sees identical batches, timestep draws and noise (one
 * shared `seed`), so arms differ only in the adapter. The loss is the base model's own objective
 * (its prediction target, unweighted), AdamW as in docs/methods.md#adapters.
 *
 * Tuning runs in cached segments like diffusion training: a segment takes `fromStep` → `steps`
 * and, after the first, the previous segment (`start`: weights, AdamW state, loss history), so
 * tuning for 2N steps after N reuses the first N (successive halving, docs/halving.md). The
 * batches, t draws and noise depend on the global step only: segments and one straight run give
 * the same weights.
 */
import * as v from "valibot";
import * as Effect from "effect/Effect";
import { tf } from "../tensor/tf.ts";
import { defineStage } from "../core/stage.ts";
import type { DatasetSplits, ModelBundle } from "../stages/codecs.ts";
import type { TrainedConfig } from "../stages/trainDiffusion.ts";
import { useEngine } from "../stages/engine.ts";
import { loadDenoiser, samplingWeights } from "../stages/models.ts";
import { Batcher } from "../data/batching.ts";
import { makeSchedule } from "../diffusion/schedules.ts";
import { deriveSeed } from "../diffusion/rng.ts";
import { makeAdamW } from "../train/adamw.ts";
import { diffusionStep } from "../train/diffusionStep.ts";
import { runTrainingLoop } from "../train/loop.ts";
import { loopContext } from "../stages/loopContext.ts";
import { addPrefix, toParamRecord, toTensorMap, withPrefix } from "../train/params.ts";
import { adapterHooks, AdapterSpecSchema, initAdapters } from "../models/adapters.ts";
import type { UNetConfig } from "../models/unet.ts";
import type { ParamStore } from "../models/params.ts";
import { METHODS, type TunedBundle, tunedCodec } from "./adapterModel.ts";
import { Int } from "../core/schemas.ts";

export const AdapterTuneParams = v.strictObject({
  method: v.picklist(METHODS),
  /** The adapter (method "adapter" only). */
  adapter: v.optional(v.nullable(AdapterSpecSchema), null),
  /** First step of this segment (0: a fresh adapter; otherwise `start` is the segment before). */
  fromStep: v.optional(Int(0), 0),
  /** Last step of this segment (the total tuned steps when it ends). */
  steps: Int(0),
  batchSize: v.optional(Int(1), 32),
  lr: v.optional(v.pipe(v.number(), v.gtValue(0)), 1e-4),
  /** Probability of the null class during tuning (keeps classifier-free guidance usable). */
  labelDropout: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1)), 0.1),
  /** Shared by every arm: identical batches, t draws and noise. */
  seed: v.optional(Int(0), 0),
  logEvery: v.optional(Int(1), 10),
  checkpointEvery: v.optional(Int(1), 100),
});
export type AdapterTuneParams = v.InferInput<typeof AdapterTuneParams>;

export const adapterTuneStage = defineStage({
  name: "adapter-tune",
  version: "1",
  module: import.meta.url,
  params: AdapterTuneParams,
  inputs: { base: "one", target: "one", start: "optional" },
  output: tunedCodec,
  resources: { compute: 1 },
  engineSensitive: true,
  run: (
    ctx,
    p,
    inputs: { base: ModelBundle<TrainedConfig>; target: DatasetSplits; start?: TunedBundle },
  ) =>
    Effect.gen(function* () {
      yield* useEngine(ctx);
      const base = inputs.base;
      const start = inputs.start;
      const startStep = start === undefined ? 0 : Number(start.info.steps ?? 0);
      if (startStep !== p.fromStep || (start === undefined) !== (p.fromStep === 0)) {
        return yield* Effect.fail(
          new Error(
            start === undefined
              ? `fromStep ${p.fromStep} needs the segment before it as input "start"`
              : `the start segment ends at step ${startStep}, not fromStep ${p.fromStep}`,
          ),
        );
      }
      if (p.steps < p.fromStep) {
        return yield* Effect.fail(new Error(`steps ${p.steps} is before fromStep ${p.fromStep}`));
      }
      if (base.config.target === null || base.config.schedule === null) {
        return yield* Effect.fail(new Error("the base model has not been trained"));
      }
      if ((p.method === "adapter") !== (p.adapter !== null)) {
        return yield* Effect.fail(
          new Error(
            `method "${p.method}" ${p.method === "adapter" ? "needs" : "takes no"} adapter`,
          ),
        );
      }
      const loaded = samplingWeights(base);
      const model = loadDenoiser(base.kind, base.config.model, loaded);
      const config = model.config as UNetConfig;
      const baseCount = model.parameterCount();
      let trained: ParamStore;
      let forward = (x: tf.Tensor4D, t: tf.Tensor1D, y?: tf.Tensor1D) => model.forward(x, t, y);
      if (p.adapter !== null) {
        const spec = p.adapter;
        trained = initAdapters(config, spec, deriveSeed(p.seed, "adapter"));
        if (start !== undefined) trained.import(toParamRecord(start.params));
        const hooks = adapterHooks(trained, config, spec);
        forward = (x, t, y) => model.forward(x, t, y, { hooks });
        model.params.freeze(() => true); // the base is frozen: no gradients, not in the optimiser
      } else {
        trained = model.params;
        if (start !== undefined && p.method === "full") trained.import(toParamRecord(start.params));
        if (p.method === "frozen") model.params.freeze(() => true);
      }
      const trainedCount = p.method === "frozen" ? 0 : trained.count();
      yield* ctx.info(
        `${p.method}${
          p.adapter ? ` ${p.adapter.input} → ${p.adapter.output}` : ""
        }: ${trainedCount} trained of ${baseCount} base parameters (${
          (100 * trainedCount / baseCount).toFixed(3)
        }%)`,
      );
      const schedule = makeSchedule(base.config.schedule);
      const target = base.config.target;
      const opt = makeAdamW(trained, {
        lr: p.lr,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: 0,
        warmupSteps: 0,
        gradClip: 1,
      });
      if (start?.optimizer) opt.importState(start.optimizer);
      const train = inputs.target.train;
      const { height: h, width: w, channels: c } = train.shape;
      const classes = base.config.numClasses;
      const batcher = new Batcher(train, {
        batchSize: Math.min(p.batchSize, train.shape.n),
        seed: deriveSeed(p.seed, "batches"),
      });
      // flat [step, loss] pairs of every segment so far
      const history: number[] = (start?.info.history as { rows?: number[][] } | undefined)?.rows
        ?.flat() ?? [];
      const setup = {
        params: trained,
        forward,
        optimizer: opt,
        schedule,
        target,
        multipliers: new Float64Array(schedule.T).fill(1), // the base's objective, unweighted
        seed: p.seed,
        classes,
        labelDropout: p.labelDropout,
        imageShape: [h, w, c] as const,
      };
      const steps = p.method === "frozen" ? 0 : p.steps;
      yield* runTrainingLoop(loopContext(ctx), {
        firstStep: p.method === "frozen" ? 0 : p.fromStep,
        steps,
        checkpointEvery: p.checkpointEvery,
        logEvery: p.logEvery,
        save: async () => ({
          ...addPrefix(toTensorMap(await trained.export()), "params."),
          ...addPrefix(await opt.exportState(), "adamw."),
          history: { shape: [history.length], data: Float32Array.from(history) },
        }),
        restore: (state) => {
          trained.import(toParamRecord(withPrefix(state, "params.")));
          opt.importState(withPrefix(state, "adamw."));
          history.splice(0, history.length, ...(state.history?.data ?? []));
          return opt.step();
        },
        step: async (step) => {
          const { loss, gradNorm } = await diffusionStep(setup, step, batcher.batch(step));
          history.push(step + 1, loss);
          return { loss, gradNorm };
        },
      });
      if (trained !== model.params) {
        // the frozen-base contract, checked on the real run: not one base weight may have moved
        const after = toTensorMap(yield* Effect.promise(() => model.params.export()));
        const moved = Object.keys(after).filter((k) => {
          const a = after[k]!.data, b = loaded[k]!.data;
          return a.length !== b.length || a.some((x, i) => x !== b[i]);
        });
        if (moved.length > 0) {
          return yield* Effect.fail(
            new Error(`base weights changed while tuning: ${moved.join(", ")}`),
          );
        }
      }
      const bundle: TunedBundle = {
        kind: "tuned",
        config: {
          method: p.method,
          adapter: p.adapter,
          baseParameters: baseCount,
          trainedParameters: trainedCount,
        },
        // the frozen baseline stores nothing: its weights are the base artifact's
        params: p.method === "frozen"
          ? {}
          : toTensorMap(yield* Effect.promise(() => trained.export())),
        ema: null,
        // carried to the next segment
        optimizer: p.method === "frozen" ? null : yield* Effect.promise(() => opt.exportState()),
        info: { steps, history: { columns: ["step", "loss"], rows: chunk(history, 2) } },
      };
      opt.dispose();
      if (trained !== model.params) trained.dispose();
      model.params.dispose();
      return bundle;
    }),
});

const chunk = (xs: readonly number[], k: number): number[][] => {
  const out: number[][] = [];
  for (let i = 0; i < xs.length; i += k) out.push(xs.slice(i, i + k));
  return out;
};
