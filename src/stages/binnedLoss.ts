/**
 * The per-timestep-bin evaluation of SPEC.md §1 (the Min-SNR paper's Figure 6): the unweighted
 * x0-space MSE of a model's prediction on a fixed set of (x0, ε, t) triples from the test split,
 * averaged in equal-width timestep bins. Every arm and every training segment is measured on the
 * same triples, so the curves are comparable point by point.
 */
import * as v from "valibot";
import * as Effect from "effect/Effect";
import { tf } from "../tensor/tf.ts";
import { takeFloat32 } from "../tensor/read.ts";
import { defineStage } from "../core/stage.ts";
import { json } from "../core/codec.ts";
import type { DatasetSplits, ModelBundle } from "./codecs.ts";
import type { TrainedConfig } from "./trainDiffusion.ts";
import { useEngine } from "./engine.ts";
import { loadDenoiser } from "./models.ts";
import { makeSchedule } from "../diffusion/schedules.ts";
import { predX0 } from "../diffusion/targets.ts";
import { timestepCoefs } from "../diffusion/noising.ts";
import { tripleBatch } from "./tripleBatch.ts";
import { binLossesByTimestep, evalTriples } from "../metrics/timestepBins.ts";

const Int = (min: number) => v.pipe(v.number(), v.integer(), v.minValue(min));

export const BinnedLossParams = v.strictObject({
  /** Number of (x0, ε, t) triples. */
  triples: v.optional(Int(1), 1000),
  bins: v.optional(Int(1), 10),
  /** Seed of the triples: keep it fixed across arms. */
  seed: v.optional(Int(0), 0),
  batchSize: v.optional(Int(1), 250),
  useEma: v.optional(v.boolean(), true),
});

export const BinnedLossSchema = v.strictObject({
  step: v.number(),
  binEdges: v.array(v.number()),
  /** Unweighted x0-MSE (x̂0 clipped to [-1, 1]) per bin; null for an empty bin. */
  meanLoss: v.array(v.nullable(v.number())),
  count: v.array(v.number()),
  overall: v.number(),
  triples: v.number(),
});
export type BinnedLoss = v.InferOutput<typeof BinnedLossSchema>;

export const binnedLossStage = defineStage({
  name: "binned-loss",
  version: "1",
  module: import.meta.url,
  params: BinnedLossParams,
  inputs: ["model", "dataset"],
  output: json(BinnedLossSchema),
  resources: { compute: 1 },
  engineSensitive: true,
  run: (ctx, p, inputs: { model: ModelBundle<TrainedConfig>; dataset: DatasetSplits }) =>
    Effect.gen(function* () {
      yield* useEngine(ctx);
      const bundle = inputs.model;
      const cfgT = bundle.config;
      if (cfgT.target === null || cfgT.schedule === null) {
        return yield* Effect.fail(new Error("the model has not been trained yet"));
      }
      const target = cfgT.target;
      const schedule = makeSchedule(cfgT.schedule);
      const test = inputs.dataset.test;
      const { height: h, width: w, channels: c } = test.shape;
      const triples = evalTriples(p.triples, schedule.T, p.seed, { numImages: test.shape.n });
      const model = loadDenoiser(
        bundle.kind,
        cfgT.model,
        p.useEma && bundle.ema ? bundle.ema : bundle.params,
      );
      const losses = new Float64Array(p.triples);
      for (let i = 0; i < p.triples; i += p.batchSize) {
        const b = Math.min(p.batchSize, p.triples - i);
        const { x0, eps, y, t } = tripleBatch(test, triples, i, b);
        // a conditional model sees the true class, as when sampling at guidance 1
        const mse = yield* Effect.promise(() =>
          takeFloat32(tf.tidy(() => {
            const x0t = tf.tensor4d(x0, [b, h, w, c]);
            const { alpha, sigma } = timestepCoefs(schedule, t, 4);
            const xt = tf.add(
              tf.mul(x0t, alpha),
              tf.mul(tf.tensor4d(eps, [b, h, w, c]), sigma),
            ) as tf.Tensor4D;
            const labels = cfgT.conditional ? tf.tensor1d(y, "int32") : undefined;
            const out = model.forward(xt, tf.tensor1d(Float32Array.from(t)), labels);
            const x0Hat = tf.clipByValue(
              predX0(target, out, xt, target === "eps" ? tf.maximum(alpha, 1e-4) : alpha, sigma),
              -1,
              1,
            );
            return tf.mean(tf.square(tf.sub(x0Hat, x0t)), [1, 2, 3]);
          }))
        );
        losses.set(mse, i);
        yield* ctx.progress(i + b, p.triples);
        yield* Effect.yieldNow;
      }
      model.params.dispose();
      const binned = binLossesByTimestep(losses, triples.t, schedule.T, p.bins);
      return {
        step: Number(bundle.info.step ?? 0),
        binEdges: Array.from(binned.binEdges),
        meanLoss: Array.from(binned.meanLoss, (x) => (Number.isNaN(x) ? null : x)),
        count: Array.from(binned.count),
        overall: losses.reduce((a, b) => a + b, 0) / losses.length,
        triples: p.triples,
      };
    }),
});
