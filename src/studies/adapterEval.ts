/**
 * The adapter study's per-arm metric: target-domain denoising MSE (in the model's prediction
 * target, unweighted) on one fixed set of (x0, ε, t) triples from the target test split, the
 * same triples for every arm and baseline, with the true class as condition.
 */
import * as v from "valibot";
import * as Effect from "effect/Effect";
import { tf } from "../tensor/tf.ts";
import { takeFloat32 } from "../tensor/read.ts";
import { defineStage } from "../core/stage.ts";
import { json } from "../core/codec.ts";
import type { DatasetSplits, ModelBundle } from "../stages/codecs.ts";
import type { TrainedConfig } from "../stages/trainDiffusion.ts";
import { useEngine } from "../stages/engine.ts";
import { makeSchedule } from "../diffusion/schedules.ts";
import { targetTensor } from "../diffusion/targets.ts";
import { timestepCoefs } from "../diffusion/noising.ts";
import { tripleBatch } from "../stages/tripleBatch.ts";
import { evalTriples } from "../metrics/timestepBins.ts";
import { loadTuned, type TunedBundle, TunedConfigSchema } from "./adapterModel.ts";

const Int = (min: number) => v.pipe(v.number(), v.integer(), v.minValue(min));

export const AdapterEvalParams = v.strictObject({
  triples: v.optional(Int(1), 500),
  /** Seed of the triples: fixed across arms. */
  seed: v.optional(Int(0), 0),
  batchSize: v.optional(Int(1), 250),
});

export const AdapterEvalSchema = v.strictObject({
  /** Mean squared error of the prediction target over the triples. */
  targetMse: v.number(),
  /** Standard error of that mean. */
  targetMseSe: v.number(),
  triples: v.number(),
  tuned: TunedConfigSchema,
  finalLoss: v.nullable(v.number()),
});
export type AdapterEval = v.InferOutput<typeof AdapterEvalSchema>;

export const adapterEvalStage = defineStage({
  name: "adapter-eval",
  version: "1",
  module: import.meta.url,
  params: AdapterEvalParams,
  inputs: ["base", "tuned", "target"],
  output: json(AdapterEvalSchema),
  resources: { compute: 1 },
  engineSensitive: true,
  run: (
    ctx,
    p,
    inputs: { base: ModelBundle<TrainedConfig>; tuned: TunedBundle; target: DatasetSplits },
  ) =>
    Effect.gen(function* () {
      yield* useEngine(ctx);
      const base = inputs.base;
      const schedule = makeSchedule(base.config.schedule);
      const target = base.config.target!;
      const test = inputs.target.test;
      const { height: h, width: w, channels: c } = test.shape;
      const triples = evalTriples(p.triples, schedule.T, p.seed, { numImages: test.shape.n });
      const model = loadTuned(base, inputs.tuned);
      const mse = new Float64Array(p.triples);
      for (let i = 0; i < p.triples; i += p.batchSize) {
        const b = Math.min(p.batchSize, p.triples - i);
        const { x0, eps, y, t } = tripleBatch(test, triples, i, b);
        const out = yield* Effect.promise(() =>
          takeFloat32(tf.tidy(() => {
            const x0t = tf.tensor4d(x0, [b, h, w, c]);
            const noise = tf.tensor4d(eps, [b, h, w, c]);
            const { alpha, sigma } = timestepCoefs(schedule, t, 4); // [b,1,1,1] each
            const xt = tf.add(tf.mul(x0t, alpha), tf.mul(noise, sigma)) as tf.Tensor4D;
            const goal = targetTensor(target, x0t, noise, alpha, sigma); // [b,H,W,C]
            const labels = base.config.conditional ? tf.tensor1d(y, "int32") : undefined;
            const pred = model.forward(xt, tf.tensor1d(Float32Array.from(t)), labels); // [b,H,W,C]
            return tf.mean(tf.square(tf.sub(goal, pred)), [1, 2, 3]); // [b]
          }))
        );
        mse.set(out, i);
        yield* ctx.progress(i + b, p.triples);
        yield* Effect.yieldNow;
      }
      model.dispose();
      const n = mse.length;
      const mean = mse.reduce((a, b) => a + b, 0) / n;
      const sd = Math.sqrt(mse.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, n - 1));
      const rows = (inputs.tuned.info.history as { rows?: number[][] } | undefined)?.rows ?? [];
      const result: AdapterEval = {
        targetMse: mean,
        targetMseSe: sd / Math.sqrt(n),
        triples: n,
        tuned: inputs.tuned.config,
        finalLoss: rows.at(-1)?.[1] ?? null,
      };
      yield* ctx.info(
        `target ${target}-MSE ${mean.toPrecision(5)} ± ${result.targetMseSe.toPrecision(2)}`,
      );
      return result;
    }),
});
