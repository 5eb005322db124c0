/**
 * The evaluation stage: samples from a trained model with a fixed sampler and fixed noise, then
 * measures FD-clf (Fréchet distance in the classifier's penultimate features, against the test
 * split) and class entropy / coverage of the samples (docs/methods.md#fd-clf), and writes a grid.
 *
 * The feature network is an input, so a user with other weights can swap the classifier stage.
 */
import * as v from "valibot";
import * as Effect from "effect/Effect";
import { join } from "node:path";
import { defineStage } from "../core/stage.ts";
import { type DatasetSplits, jsonWithFiles, type ModelBundle } from "./codecs.ts";
import { useEngine } from "./engine.ts";
import { generateImages } from "./generate.ts";
import type { TrainedConfig } from "./trainDiffusion.ts";
import { type ClassifierConfigSchema, classifyAll, loadClassifier } from "./classifier.ts";
import { writeImageGrid } from "../data/imageGrid.ts";
import { featureStats, frechetDistance } from "../metrics/frechet.ts";
import { classEntropy, classHistogram } from "../metrics/classes.ts";
import { Int } from "../core/schemas.ts";

export const EvaluateParams = v.strictObject({
  sampler: v.optional(v.string(), "ddim"),
  samplerOptions: v.optional(v.record(v.string(), v.unknown()), { steps: 25 }),
  /** Number of generated images measured. */
  samples: v.optional(Int(2), 512),
  guidance: v.optional(v.number(), 1),
  /** Seed of the sampling noise: keep it fixed across arms to compare them on the same noise. */
  seed: v.optional(Int(0), 0),
  batchSize: v.optional(Int(1), 128),
  useEma: v.optional(v.boolean(), true),
  /** Images shown in samples.png. */
  gridImages: v.optional(Int(1), 64),
});

export const EvaluationSchema = v.strictObject({
  fdClf: v.number(),
  classEntropy: v.number(),
  classEntropyNormalised: v.number(),
  coverage: v.number(),
  classifierTestAccuracy: v.number(),
  samples: v.number(),
  reference: v.string(),
  sampler: v.string(),
  samplerOptions: v.record(v.string(), v.unknown()),
  guidance: v.number(),
  weights: v.picklist(["ema", "raw"]),
});
export type Evaluation = v.InferOutput<typeof EvaluationSchema>;

export const evaluateStage = defineStage({
  name: "evaluate",
  version: "1",
  module: import.meta.url,
  params: EvaluateParams,
  inputs: ["model", "classifier", "dataset"],
  output: jsonWithFiles(EvaluationSchema),
  resources: { compute: 1 },
  engineSensitive: true,
  run: (
    ctx,
    p,
    inputs: {
      model: ModelBundle<TrainedConfig>;
      classifier: ModelBundle<v.InferOutput<typeof ClassifierConfigSchema>>;
      dataset: DatasetSplits;
    },
  ) =>
    Effect.gen(function* () {
      yield* useEngine(ctx);
      const generated = yield* generateImages(inputs.model, {
        sampler: p.sampler,
        samplerOptions: p.samplerOptions,
        n: p.samples,
        guidance: p.guidance,
        seed: p.seed,
        batchSize: p.batchSize,
        useEma: p.useEma,
        onBatch: (done) => ctx.progress(done, p.samples),
      });
      yield* ctx.annotate({ graphCapture: generated.graphCapture });
      const { height: h, width: w, channels: c } = generated.shape;
      const classifier = loadClassifier(inputs.classifier);
      const fake = yield* Effect.promise(() =>
        classifyAll(classifier.forward, generated.images, [p.samples, h, w, c])
      );
      const test = inputs.dataset.test;
      const real = yield* Effect.promise(() =>
        classifyAll(classifier.forward, test.images, [test.shape.n, h, w, c])
      );
      classifier.params.dispose();
      const fdClf = frechetDistance(
        featureStats(fake.features, p.samples, fake.dim),
        featureStats(real.features, test.shape.n, real.dim),
      );
      const histogram = classHistogram(fake.logits, p.samples, fake.classes);
      const entropy = classEntropy(histogram);
      yield* Effect.promise(() =>
        writeImageGrid(join(ctx.scratchDir, "samples.png"), {
          images: generated.images.subarray(0, Math.min(p.gridImages, p.samples) * h * w * c),
          shape: { ...generated.shape, n: Math.min(p.gridImages, p.samples) },
        }, { scale: Math.max(1, Math.round(64 / h)), padding: 2 })
      );
      const result: Evaluation = {
        fdClf,
        classEntropy: entropy.nats,
        classEntropyNormalised: entropy.normalised,
        coverage: histogram.filter((x) => x > 0).length / fake.classes,
        classifierTestAccuracy: Number(inputs.classifier.info.testAccuracy ?? NaN),
        samples: p.samples,
        reference: `test split (${test.shape.n} images)`,
        sampler: p.sampler,
        samplerOptions: p.samplerOptions,
        guidance: p.guidance,
        weights: p.useEma && inputs.model.ema ? "ema" : "raw",
      };
      yield* ctx.info(
        `FD-clf ${fdClf.toFixed(3)}, class entropy ${
          entropy.nats.toFixed(3)
        } nats (classifier accuracy ${(100 * result.classifierTestAccuracy).toFixed(1)}%)`,
      );
      return { data: result, dir: ctx.scratchDir };
    }),
});
