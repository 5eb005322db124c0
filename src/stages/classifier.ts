/**
 * The classifier stage: a small CNN trained on the dataset's train split, whose penultimate
 * features define FD-clf (docs/methods.md#fd-clf). Its test accuracy is in its output, reported
 * with every metric that uses it.
 */
import * as v from "valibot";
import * as Effect from "effect/Effect";
import { tf } from "../tensor/tf.ts";
import { readScalar, takeFloat32 } from "../tensor/read.ts";
import { defineStage } from "../core/stage.ts";
import { type DatasetSplits, type ModelBundle, modelCodec } from "./codecs.ts";
import { classifierConfig, createClassifier } from "../models/classifier.ts";
import type { TensorMap } from "../tensor/tensorMap.ts";
import { Batcher } from "../data/batching.ts";
import { makeAdamW } from "../train/adamw.ts";
import { runTrainingLoop } from "../train/loop.ts";
import { loopContext } from "./loopContext.ts";
import { addPrefix, toParamRecord, toTensorMap, withPrefix } from "../train/params.ts";
import { useEngine } from "./engine.ts";
import { captureForward, captureShareSince } from "../engine/mod.ts";
import { numClasses } from "../data/dataset.ts";
import { Int } from "../core/schemas.ts";

export const ClassifierConfigSchema = v.strictObject({
  channels: v.number(),
  widths: v.array(v.number()),
  numClasses: v.number(),
  groups: v.number(),
});
/** A trained classifier as stored. */
export type ClassifierBundle = ModelBundle<v.InferOutput<typeof ClassifierConfigSchema>>;

export const classifierCodec = modelCodec(ClassifierConfigSchema);

export const ClassifierParams = v.strictObject({
  widths: v.optional(v.array(Int(1)), [32, 64, 128]),
  groups: v.optional(Int(1), 8),
  steps: v.optional(Int(1), 400),
  batchSize: v.optional(Int(1), 64),
  lr: v.optional(v.pipe(v.number(), v.gtValue(0)), 2e-3),
  /** Seed for init and batches; default the stage's derived seed. */
  seed: v.optional(Int(0)),
});

/** Logits and features of `images` (NHWC in [-1, 1]) in batches, as plain arrays. */
export const classifyAll = async (
  forward: (x: tf.Tensor4D) => { logits: tf.Tensor2D; features: tf.Tensor2D },
  images: Float32Array,
  shape: readonly [number, number, number, number],
  batchSize = 256,
) => {
  const [n, h, w, c] = shape;
  let logits: Float32Array | null = null;
  let features: Float32Array | null = null;
  let k = 0;
  let d = 0;
  for (let i = 0; i < n; i += batchSize) {
    const b = Math.min(batchSize, n - i);
    const out = tf.tidy(() =>
      forward(tf.tensor4d(images.subarray(i * h * w * c, (i + b) * h * w * c), [b, h, w, c]))
    );
    const lg = await takeFloat32(out.logits);
    const ft = await takeFloat32(out.features);
    k = lg.length / b;
    d = ft.length / b;
    logits ??= new Float32Array(n * k);
    features ??= new Float32Array(n * d);
    logits.set(lg, i * k);
    features.set(ft, i * d);
  }
  return { logits: logits!, features: features!, classes: k, dim: d };
};

export const accuracyOf = (logits: Float32Array, classes: number, labels: Int32Array) => {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let j = 1; j < classes; j++) {
      if (logits[i * classes + j]! > logits[i * classes + best]!) best = j;
    }
    if (best === labels[i]) correct++;
  }
  return correct / labels.length;
};

export const classifierStage = defineStage({
  name: "classifier",
  version: "1",
  module: import.meta.url,
  params: ClassifierParams,
  inputs: ["dataset"],
  output: classifierCodec,
  resources: { compute: 1 },
  engineSensitive: true,
  run: (ctx, p, inputs: { dataset: DatasetSplits }) =>
    Effect.gen(function* () {
      yield* useEngine(ctx);
      const { train, test } = inputs.dataset;
      // unlabelled data (an image folder without class sub-folders): the feature network learns
      // the self-supervised pretext task of predicting a 0/90/180/270° rotation instead
      const pretext = !train.labels || !test.labels;
      if (pretext && train.shape.height !== train.shape.width) {
        return yield* Effect.fail(
          new Error("unlabelled data need square images for the rotation pretext task"),
        );
      }
      const seed = p.seed ?? ctx.seed;
      const config = classifierConfig({
        channels: train.shape.channels,
        widths: p.widths,
        groups: p.groups,
        // the pretext task has four classes (0/90/180/270°), whatever the data's labels
        numClasses: pretext ? ROTATIONS : numClasses(train),
      });
      const model = createClassifier(config, seed);
      const opt = makeAdamW(model.params, {
        lr: p.lr,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: 0,
        warmupSteps: 20,
        gradClip: 1,
      });
      // loss and gradients: one captured program per batch shape on the ort engine
      const names = model.params.trainableNames();
      const lossAndGrads = captureForward((x: tf.Tensor, y: tf.Tensor) => {
        const { value, grads } = model.params.valueAndGrads(() =>
          tf.losses.softmaxCrossEntropy(y, model.forward(x as tf.Tensor4D).logits) as tf.Scalar
        );
        return [value, ...names.map((n) => grads[n]!)];
      }, {
        key: `classifier-loss:${JSON.stringify(config)}`,
        params: () => model.params.names().map((n) => model.params.get(n)),
      });
      const batcher = new Batcher(train, { batchSize: Math.min(p.batchSize, train.shape.n), seed });
      const { height: h, width: w, channels: c } = train.shape;
      yield* ctx.info(
        `classifier: ${model.parameterCount()} parameters, ${config.numClasses} classes`,
      );
      const captureShare = captureShareSince();
      yield* runTrainingLoop(loopContext(ctx), {
        steps: p.steps,
        checkpointEvery: Math.max(50, Math.floor(p.steps / 4)),
        logEvery: Math.max(1, Math.floor(p.steps / 20)),
        save: async () => ({
          ...addPrefix(toTensorMap(await model.params.export()), "params."),
          ...addPrefix(await opt.exportState(), "adamw."),
        }),
        restore: (state) => {
          model.params.import(toParamRecord(withPrefix(state, "params.")));
          opt.importState(withPrefix(state, "adamw."));
          return opt.step();
        },
        step: async (step) => {
          const batch = batcher.batch(step);
          const labelled = pretext
            ? rotated(batch.images, batch.size, h, c, seed + step)
            : { images: batch.images, labels: batch.labels! };
          const { value, grads } = tf.tidy(() => {
            const x = tf.tensor4d(labelled.images, [batch.size, h, w, c]);
            const y = tf.oneHot(tf.tensor1d(labelled.labels, "int32"), config.numClasses);
            const [loss, ...g] = lossAndGrads(x, y);
            return { value: loss!, grads: Object.fromEntries(names.map((n, i) => [n, g[i]!])) };
          });
          await opt.update(grads);
          const loss = await readScalar(value);
          tf.dispose([value, ...Object.values(grads)]);
          return { loss };
        },
      });
      // share of the training kernels that ran inside captured whole graphs (ort engine)
      yield* ctx.annotate({ graphCapture: captureShare() });
      const evalSet = pretext
        ? rotated(test.images, test.shape.n, h, c, seed)
        : { images: test.images, labels: test.labels! };
      const out = yield* Effect.promise(() =>
        classifyAll(model.forward, evalSet.images, [test.shape.n, h, w, c])
      );
      const testAccuracy = accuracyOf(out.logits, out.classes, evalSet.labels);
      yield* ctx.info(
        `classifier test accuracy ${(100 * testAccuracy).toFixed(1)}% on ${test.shape.n} images`,
      );
      yield* ctx.log({ step: p.steps, testAccuracy });
      const bundle = {
        kind: "classifier",
        config: { ...config, widths: [...config.widths] },
        params: toTensorMap(yield* Effect.promise(() => model.params.export())),
        ema: null,
        info: {
          testAccuracy,
          testImages: test.shape.n,
          parameters: model.parameterCount(),
          featureDim: out.dim,
        },
      };
      opt.dispose();
      model.params.dispose();
      return bundle;
    }),
});

/** Classes of the rotation pretext task: turns by 0, 90, 180 and 270°. */
const ROTATIONS = 4;

/**
 * Each image turned by k·90° (k uniform in 0..3 from `seed`), with k as its label: the rotation
 * pretext task (Gidaris et al. 2018) that gives unlabelled data a feature network. Square NHWC.
 */
export const rotated = (images: Float32Array, n: number, size: number, c: number, seed: number) => {
  const out = new Float32Array(n * size * size * c);
  const labels = new Int32Array(n);
  let state = seed >>> 0;
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const k = state >>> 30; // top two bits: 0..3
    labels[i] = k;
    const base = i * size * size * c;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        // source pixel of output (y, x) under a k·90° counter-clockwise turn
        const [sy, sx] = k === 0
          ? [y, x]
          : k === 1
          ? [x, size - 1 - y]
          : k === 2
          ? [size - 1 - y, size - 1 - x]
          : [size - 1 - x, y];
        for (let ch = 0; ch < c; ch++) {
          out[base + (y * size + x) * c + ch] = images[base + (sy * size + sx) * c + ch]!;
        }
      }
    }
  }
  return { images: out, labels };
};

/** A classifier from its stored bundle (the feature network of FD-clf). */
export const loadClassifier = (
  bundle: { config: v.InferOutput<typeof ClassifierConfigSchema>; params: TensorMap },
) => {
  const model = createClassifier(classifierConfig(bundle.config), 0);
  model.params.import(toParamRecord(bundle.params));
  return model;
};
