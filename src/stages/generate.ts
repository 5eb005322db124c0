/**
 * Generating images from a trained diffusion model: the one place that turns a stored model
 * bundle into a sampler call (denoiser interface, optional classifier-free guidance, balanced
 * class labels, fixed noise from a seed), so evaluation and sample grids agree.
 */
import * as Effect from "effect/Effect";
import { tf } from "../tensor/tf.ts";
import { takeFloat32 } from "../tensor/read.ts";
import { makeSchedule } from "../diffusion/schedules.ts";
import { cfg, clipDenoiser, makeDenoiser, type ModelFn } from "../diffusion/denoiser.ts";
import { sample } from "../diffusion/samplers.ts";
import { makeRng } from "../diffusion/rng.ts";
import type { ModelBundle } from "./codecs.ts";
import type { TrainedConfig } from "./trainDiffusion.ts";
import { loadForSampling } from "./models.ts";
import { canonicalJson } from "../core/canonicalJson.ts";
import { captureForward, captureShareSince } from "../engine/mod.ts";

export interface GenerateOptions {
  readonly sampler: string;
  /** Sampler options (validated by the sampler: steps, spacing, eta…). */
  readonly samplerOptions: Record<string, unknown>;
  readonly n: number;
  /** Classifier-free guidance scale (1 = conditional only); ignored for unconditional models. */
  readonly guidance: number;
  /** Seed of x_T (and of the balanced labels' order): the same seed gives the same noise. */
  readonly seed: number;
  readonly batchSize: number;
  /** Sample with the EMA weights when the bundle has them. */
  readonly useEma: boolean;
  /** Called after each batch with the number of images done (progress reporting). */
  readonly onBatch?: (done: number) => Effect.Effect<void>;
}

/**
 * n images NHWC in [-1, 1] and their class labels (null when unconditional). An Effect that
 * yields between batches, so a long sampling run stays interruptible and reports progress.
 */
export const generateImages = (bundle: ModelBundle<TrainedConfig>, o: GenerateOptions) =>
  Effect.gen(function* () {
    const cfgT = bundle.config;
    if (cfgT.target === null || cfgT.schedule === null) {
      throw new Error(
        "this model artifact has not been trained yet (an init-diffusion output): nothing to sample",
      );
    }
    const target = cfgT.target;
    const [h, w, c] = cfgT.imageShape;
    const model = loadForSampling(bundle, o.useEma);
    const schedule = makeSchedule(cfgT.schedule);
    const classes = cfgT.conditional ? cfgT.numClasses : 0;
    // on the ort engine, each batch shape's forward pass runs as whole ONNX graphs after the first
    const names = model.params.names();
    const capture = {
      key: `${bundle.kind}:${canonicalJson(cfgT.model)}`,
      params: () => names.map((n) => model.params.get(n)),
    };
    const forwardCond = captureForward(
      (x: tf.Tensor, t: tf.Tensor, cond: tf.Tensor) =>
        model.forward(x as tf.Tensor4D, t as tf.Tensor1D, cond as tf.Tensor1D),
      { ...capture, key: `${capture.key}:cond` },
    );
    const forwardUncond = captureForward(
      (x: tf.Tensor, t: tf.Tensor) => model.forward(x as tf.Tensor4D, t as tf.Tensor1D),
      capture,
    );
    const captureShare = captureShareSince();
    const raw: ModelFn = (x, t, cond) =>
      cond === undefined ? forwardUncond(x, t) : forwardCond(x, t, cond);
    const nullCond = tf.tensor1d([classes], "int32");
    const guided = classes > 0 && o.guidance !== 1 ? cfg(raw, o.guidance, nullCond) : raw;
    const denoiser = clipDenoiser(makeDenoiser(guided, target, schedule));
    const images = new Float32Array(o.n * h * w * c);
    const labels = classes > 0 ? Int32Array.from({ length: o.n }, (_, i) => i % classes) : null;
    const rng = makeRng(o.seed);
    for (let i = 0; i < o.n; i += o.batchSize) {
      const b = Math.min(o.batchSize, o.n - i);
      const noise = rng.normal(b * h * w * c);
      const out = yield* Effect.promise(() =>
        takeFloat32(tf.tidy(() => {
          const xT = tf.tensor4d(noise, [b, h, w, c]);
          const cond = labels ? tf.tensor1d(labels.subarray(i, i + b), "int32") : undefined;
          const options = o.sampler === "ddpm"
            ? { seed: o.seed + i, ...o.samplerOptions }
            : o.samplerOptions;
          return tf.clipByValue(sample(o.sampler, denoiser, xT, schedule, options, cond), -1, 1);
        }))
      );
      images.set(out, i * h * w * c);
      if (o.onBatch) yield* o.onBatch(i + b);
      yield* Effect.yieldNow;
    }
    model.params.dispose();
    nullCond.dispose();
    const graphCapture = captureShare();
    return { images, labels, shape: { n: o.n, height: h, width: w, channels: c }, graphCapture };
  });
