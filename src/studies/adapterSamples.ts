/**
 * The adapter study's sample-based measurements, across arms (an aggregate stage, because which
 * arms to sample is known only after every arm's MSE): FD-clf of DDIM samples in the target
 * domain for the `top` arms by target MSE, the full fine-tune and the frozen base, against the
 * target test split in the features of a classifier trained on the target domain; and the
 * paper's qualitative check, for the best arm of each of a few input positions on fixed
 * (x_t, t): with a concept token (target (b)) the per-pixel |ε̂(x_t, token) − ε̂(x_t, null)| of
 * the adapted model, as the paper; for target (a), which has no new token, |ε̂_adapted − ε̂_base|
 * at the true class. Also the share of samples the classifier recognises as their label.
 *
 * Inputs: `base`, `classifier`, `target`, and per arm `tuned:<id>` and `eval:<id>`.
 */
import * as v from "valibot";
import * as Effect from "effect/Effect";
import { join } from "node:path";
import { tf } from "../tensor/tf.ts";
import { takeFloat32 } from "../tensor/read.ts";
import { defineStage, type Group } from "../core/stage.ts";
import type { DatasetSplits, ModelBundle, WithFiles } from "../stages/codecs.ts";
import { jsonWithFiles } from "../stages/codecs.ts";
import type { TrainedConfig } from "../stages/trainDiffusion.ts";
import { useEngine } from "../stages/engine.ts";
import { type ClassifierConfigSchema, classifyAll, loadClassifier } from "../stages/classifier.ts";
import { makeSchedule } from "../diffusion/schedules.ts";
import { clipDenoiser, makeDenoiser, type ModelFn } from "../diffusion/denoiser.ts";
import { sample } from "../diffusion/samplers.ts";
import { timestepCoefs } from "../diffusion/noising.ts";
import { makeRng } from "../diffusion/rng.ts";
import { featureStats, frechetDistance } from "../metrics/frechet.ts";
import { predictedClasses } from "../metrics/classes.ts";
import { writeImageGrid } from "../data/imageGrid.ts";
import { type ForwardFn, loadTuned, type TunedBundle } from "./adapterModel.ts";
import type { AdapterEval } from "./adapterEval.ts";
import { POSITIONS } from "../models/hooks.ts";
import { Int } from "../core/schemas.ts";

export const AdapterSamplesParams = v.strictObject({
  /** Arms sampled for FD-clf: the best `top` by target MSE (plus both baselines). */
  top: v.optional(Int(0), 5),
  samples: v.optional(Int(2), 256),
  samplerSteps: v.optional(Int(1), 20),
  seed: v.optional(Int(0), 0),
  batchSize: v.optional(Int(1), 128),
  /** Input positions shown in the difference images (best arm of each). */
  diffInputs: v.optional(v.array(v.picklist(POSITIONS)), ["Res_out", "SA_in", "CA_c", "CA_out"]),
  /** Timestep of the difference images. */
  diffT: v.optional(Int(0), 500),
  diffImages: v.optional(Int(1), 8),
  /**
   * Target (b), a new concept under its own condition token: sample only this label, and show
   * the difference with and without that token (ε̂(x_t, token) − ε̂(x_t, null class), adapter on).
   * Null (target (a)): sample every class, difference with and without the adapter.
   */
  conceptLabel: v.optional(v.nullable(Int(0)), null),
});

export const AdapterSamplesSchema = v.strictObject({
  fd: v.array(v.strictObject({
    arm: v.string(),
    fdClf: v.number(),
    targetMse: v.number(),
    /** Share of samples the classifier assigns to the label they were conditioned on. */
    recognised: v.number(),
  })),
  /** "adapter": with vs without the adapter; "token": with vs without the concept token. */
  diffMode: v.picklist(["adapter", "token"]),
  /** Difference images as data (the report renders them): values in [-1, 1], NHWC. */
  diff: v.array(v.strictObject({
    arm: v.string(),
    input: v.string(),
    meanAbsDiff: v.number(),
    pixels: v.array(v.number()),
  })),
  diffShape: v.strictObject({
    n: v.number(),
    height: v.number(),
    width: v.number(),
    channels: v.number(),
  }),
  diffInputs: v.array(v.number()),
  samples: v.number(),
  sampler: v.string(),
  classifierTestAccuracy: v.number(),
  reference: v.string(),
});
export type AdapterSamples = v.InferOutput<typeof AdapterSamplesSchema>;

export const FULL_ARM = "full fine-tune";
export const FROZEN_ARM = "frozen base";

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export const safeName = (s: string) => s.replace(/[^\w.=-]+/g, "_");

export const adapterSamplesStage = defineStage({
  name: "adapter-samples",
  version: "1",
  module: import.meta.url,
  params: AdapterSamplesParams,
  inputs: { base: "one", target: "one", classifier: "one", evals: "many", tuned: "many" },
  output: jsonWithFiles(AdapterSamplesSchema),
  resources: { compute: 1 },
  engineSensitive: true,
  run: (
    ctx,
    p,
    inputs: {
      base: ModelBundle<TrainedConfig>;
      target: DatasetSplits;
      classifier: ModelBundle<v.InferOutput<typeof ClassifierConfigSchema>>;
      /** Every arm's evaluation and tuned model, by arm (baselines included). */
      evals: Group<AdapterEval>;
      tuned: Group<TunedBundle>;
    },
  ) =>
    Effect.gen(function* () {
      yield* useEngine(ctx);
      const { base, target, classifier: clf } = inputs;
      const arms = Object.entries(inputs.evals).map(([id, evaluation]) => ({
        id,
        eval: evaluation,
        tuned: inputs.tuned[id]!,
      }));
      const adapterArms = arms.filter((a) => a.eval.tuned.method === "adapter").sort((a, b) =>
        a.eval.targetMse - b.eval.targetMse
      );
      const chosen = [
        ...adapterArms.slice(0, p.top),
        ...arms.filter((a) => a.eval.tuned.method !== "adapter"),
      ];
      const schedule = makeSchedule(base.config.schedule);
      const [h, w, c] = base.config.imageShape;
      const classes = base.config.numClasses;
      const test = target.test;
      const classifier = loadClassifier(clf);
      const real = yield* Effect.promise(() =>
        classifyAll(classifier.forward, test.images, [test.shape.n, h, w, c])
      );
      const realStats = featureStats(real.features, test.shape.n, real.dim);
      const fd: AdapterSamples["fd"] = [];
      const labelOf = (i: number) => p.conceptLabel ?? i % Math.max(1, classes);
      const dir = ctx.scratchDir;
      for (const [i, arm] of chosen.entries()) {
        const model = loadTuned(base, arm.tuned);
        const raw: ModelFn = (x, t, cond) =>
          model.forward(x as tf.Tensor4D, t, cond as tf.Tensor1D | undefined);
        const denoiser = clipDenoiser(makeDenoiser(raw, base.config.target!, schedule));
        const images = new Float32Array(p.samples * h * w * c);
        const rng = makeRng(p.seed); // the same x_T for every arm
        for (let s = 0; s < p.samples; s += p.batchSize) {
          const b = Math.min(p.batchSize, p.samples - s);
          const noise = rng.normal(b * h * w * c);
          const labels = Int32Array.from({ length: b }, (_, j) => labelOf(s + j));
          const out = yield* Effect.promise(() =>
            takeFloat32(tf.tidy(() => {
              const xT = tf.tensor4d(noise, [b, h, w, c]);
              const cond = classes > 0 ? tf.tensor1d(labels, "int32") : undefined;
              return tf.clipByValue(
                sample("ddim", denoiser, xT, schedule, { steps: p.samplerSteps }, cond),
                -1,
                1,
              );
            }))
          );
          images.set(out, s * h * w * c);
          yield* ctx.progress(i * p.samples + s + b, chosen.length * p.samples);
          yield* Effect.yieldNow;
        }
        model.dispose();
        const fake = yield* Effect.promise(() =>
          classifyAll(classifier.forward, images, [p.samples, h, w, c])
        );
        const fdClf = frechetDistance(featureStats(fake.features, p.samples, fake.dim), realStats);
        const predicted = predictedClasses(fake.logits, p.samples, fake.classes);
        const recognised = predicted.filter((k, j) => k === labelOf(j)).length / p.samples;
        fd.push({ arm: arm.id, fdClf, targetMse: arm.eval.targetMse, recognised });
        yield* ctx.info(`${arm.id}: FD-clf ${fdClf.toFixed(3)}`);
        yield* Effect.promise(() =>
          writeImageGrid(join(dir, `samples_${safeName(arm.id)}.png`), {
            images: images.subarray(0, Math.min(64, p.samples) * h * w * c),
            shape: { n: Math.min(64, p.samples), height: h, width: w, channels: c },
          }, { scale: Math.max(1, Math.round(64 / h)), padding: 2 })
        );
      }
      classifier.params.dispose();

      // difference images: |ε̂ with adapter − ε̂ without| for the best arm per input position
      const diff: AdapterSamples["diff"] = [];
      const n = Math.min(p.diffImages, test.shape.n);
      const size = h * w * c;
      const x0 = test.images.subarray(0, n * size);
      const y = Int32Array.from({ length: n }, (_, j) => p.conceptLabel ?? test.labels?.[j] ?? 0);
      const eps = makeRng(p.seed + 1).normal(n * size);
      const t = Math.min(p.diffT, schedule.T - 1);
      for (const input of p.diffInputs) {
        const best = adapterArms.find((a) => a.eval.tuned.adapter?.input === input);
        if (best === undefined) continue;
        const model = loadTuned(base, best.tuned);
        const predict = (f: ForwardFn, labels: Int32Array) => {
          const { alpha, sigma } = timestepCoefs(schedule, new Int32Array(n).fill(t), 4);
          const x0t = tf.tensor4d(x0, [n, h, w, c]);
          const xt = tf.add(tf.mul(x0t, alpha), tf.mul(tf.tensor4d(eps, [n, h, w, c]), sigma));
          return f(xt as tf.Tensor4D, tf.fill([n], t) as tf.Tensor1D, tf.tensor1d(labels, "int32"));
        };
        const nullLabels = new Int32Array(n).fill(classes);
        const d = yield* Effect.promise(() =>
          takeFloat32(tf.tidy(() =>
            tf.abs(tf.sub(
              predict(model.forward, y),
              p.conceptLabel === null
                ? predict(model.baseForward, y)
                : predict(model.forward, nullLabels),
            ))
          ))
        ); // [n, H, W, C]
        model.dispose();
        const mean = d.reduce((a, b) => a + b, 0) / d.length;
        const max = d.reduce((a, b) => Math.max(a, b), 1e-12);
        // shown on one scale per input position: 0 → black, its largest difference → white
        const pixels = Array.from(d, (x) => round3(2 * x / max - 1));
        diff.push({ arm: best.id, input, meanAbsDiff: mean, pixels });
      }
      const result: AdapterSamples = {
        fd,
        diff,
        samples: p.samples,
        sampler: `ddim-${p.samplerSteps}`,
        classifierTestAccuracy: Number(clf.info.testAccuracy ?? NaN),
        reference: `target test split (${test.shape.n} images)`,
        diffMode: p.conceptLabel === null ? "adapter" : "token",
        diffShape: { n, height: h, width: w, channels: c },
        diffInputs: Array.from(x0, round3),
      };
      return { data: result, dir } satisfies WithFiles<AdapterSamples>;
    }),
});
