/**
 * Regression pairs for distillation (docs/methods.md#dmd-loss): noise z and a class, the teacher's
 * deterministic ODE sampler (DDIM η = 0 with 50 steps by default; Heun or DPM-Solver++ 2M
 * selectable; optional classifier-free guidance), output y.
 *
 * One stage instance is one shard of `size` pairs. Its key holds the teacher's key (an input),
 * the sampler, its options, the guidance, the seed and the shard index, so a pipeline asking for
 * 4K pairs after 2K plans the first 2K shards with the same keys (cache hits) and computes only
 * the new ones, and a crash loses at most the shard in progress. The noise of shard k is drawn
 * from (seed, k) alone, and its classes cycle through all classes from k·size on.
 *
 * Throughput (pairs per second) is logged as a metrics row and stored with the shard.
 */
import * as v from "valibot";
import * as Effect from "effect/Effect";
import { tf } from "../tensor/tf.ts";
import { takeFloat32 } from "../tensor/read.ts";
import { defineStage } from "../core/stage.ts";
import type { TensorMap } from "../tensor/tensorMap.ts";
import { tensors } from "../tensor/safetensors.ts";
import type { ModelBundle } from "./codecs.ts";
import type { TrainedConfig } from "./trainDiffusion.ts";
import { useEngine } from "./engine.ts";
import { loadForSampling } from "./models.ts";
import { makeSchedule } from "../diffusion/schedules.ts";
import { cfg, clipDenoiser, makeDenoiser, type ModelFn } from "../diffusion/denoiser.ts";
import { sample } from "../diffusion/samplers.ts";
import { deriveSeed, makeRng } from "../diffusion/rng.ts";
import { Int } from "../core/schemas.ts";

/** Deterministic ODE samplers only: a pair must be a function of its noise. */
export const PairSamplerSchema = v.picklist(["ddim", "heun", "dpmpp-2m"]);

export const RegressionPairsParams = v.strictObject({
  sampler: v.optional(PairSamplerSchema, "ddim"),
  /** Number of sampler steps (denoiser calls; Heun uses 2·steps − 1). */
  steps: v.optional(Int(1), 50),
  /** Classifier-free guidance scale; 1 = conditional only. */
  guidance: v.optional(v.pipe(v.number(), v.finite()), 1),
  /** Seed of every shard's noise (with the shard index). */
  seed: v.optional(Int(0), 0),
  shard: Int(0),
  /** Pairs per shard. */
  size: v.optional(Int(1), 256),
  /** Pairs per sampler call. */
  batchSize: v.optional(Int(1), 128),
});
export type RegressionPairsParams = v.InferInput<typeof RegressionPairsParams>;

/** The noise, classes and teacher samples of shard `shard`, plus [pairs, seconds]. */
export const regressionPairsStage = defineStage({
  name: "regression-pairs",
  version: "1",
  module: import.meta.url,
  params: RegressionPairsParams,
  inputs: ["teacher"],
  output: tensors,
  resources: { compute: 1 },
  engineSensitive: true,
  // the noise is drawn from `seed` and the shard index: the experiment seed stays out of the key
  seeded: false,
  run: (ctx, p, inputs: { teacher: ModelBundle<TrainedConfig> }) =>
    Effect.gen(function* () {
      yield* useEngine(ctx);
      const cfgT = inputs.teacher.config;
      if (cfgT.target === null || cfgT.schedule === null) {
        return yield* Effect.fail(new Error("the teacher has not been trained yet"));
      }
      if (!cfgT.conditional) {
        return yield* Effect.fail(
          new Error("regression pairs need a class-conditional teacher (conditional: true)"),
        );
      }
      const [h, w, c] = cfgT.imageShape;
      const n = h * w * c;
      const classes = cfgT.numClasses;
      const teacher = loadForSampling(inputs.teacher);
      const schedule = makeSchedule(cfgT.schedule);
      const raw: ModelFn = (x, t, cond) =>
        teacher.forward(x as tf.Tensor4D, t, cond as tf.Tensor1D | undefined);
      const nullCond = tf.tensor1d([classes], "int32");
      const guided = p.guidance === 1 ? raw : cfg(raw, p.guidance, nullCond);
      const denoiser = clipDenoiser(makeDenoiser(guided, cfgT.target, schedule));
      const rng = makeRng(deriveSeed(p.seed, "regression-pairs", String(p.shard)));
      const z = rng.normal(p.size * n);
      const labels = Int32Array.from(
        { length: p.size },
        (_, i) => (p.shard * p.size + i) % classes,
      );
      const y = new Float32Array(p.size * n);
      const started = performance.now();
      for (let i = 0; i < p.size; i += p.batchSize) {
        const b = Math.min(p.batchSize, p.size - i);
        const out = yield* Effect.promise(() =>
          takeFloat32(tf.tidy(() => {
            const xT = tf.tensor4d(z.subarray(i * n, (i + b) * n), [b, h, w, c]); // [b, H, W, C]
            const cond = tf.tensor1d(labels.subarray(i, i + b), "int32");
            const x0 = sample(p.sampler, denoiser, xT, schedule, { steps: p.steps }, cond);
            return tf.clipByValue(x0, -1, 1);
          }))
        );
        y.set(out, i * n);
        yield* ctx.progress(i + b, p.size);
        yield* Effect.yieldNow;
      }
      const seconds = (performance.now() - started) / 1000;
      teacher.params.dispose();
      nullCond.dispose();
      const rate = p.size / seconds;
      yield* ctx.log({ shard: p.shard, pairs: p.size, seconds, pairsPerSecond: rate });
      yield* ctx.info(
        `shard ${p.shard}: ${p.size} pairs (${p.sampler}-${p.steps}, guidance ${p.guidance}) in ${
          seconds.toFixed(1)
        } s = ${rate.toFixed(2)} pairs/s`,
      );
      const result: TensorMap = {
        z: { shape: [p.size, h, w, c], data: z },
        labels: { shape: [p.size], data: labels },
        y: { shape: [p.size, h, w, c], data: y },
        throughput: { shape: [2], data: Float32Array.from([p.size, seconds]) },
      };
      return result;
    }),
});

/** Shards (in shard order) concatenated into one pair set. */
export const concatShards = (shards: readonly TensorMap[]) => {
  const parts = shards.map((s, i) => {
    const z = s.z, y = s.y, labels = s.labels;
    if (!z || !y || !labels || !(labels.data instanceof Int32Array)) {
      throw new Error(`regression-pair shard ${i} lacks z, y or int labels`);
    }
    return { z: z.data as Float32Array, y: y.data as Float32Array, labels: labels.data };
  });
  const cat = <A extends Float32Array | Int32Array>(xs: A[], make: (n: number) => A): A => {
    const out = make(xs.reduce((a, x) => a + x.length, 0));
    let at = 0;
    for (const x of xs) {
      out.set(x, at);
      at += x.length;
    }
    return out;
  };
  const labels = cat(parts.map((q) => q.labels), (k) => new Int32Array(k));
  return {
    n: labels.length,
    z: cat(parts.map((q) => q.z), (k) => new Float32Array(k)),
    labels,
    y: cat(parts.map((q) => q.y), (k) => new Float32Array(k)),
  };
};
