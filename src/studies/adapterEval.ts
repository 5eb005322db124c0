/**
 * The adapter study's per-arm metric: target-domain denoising MSE (in the model's prediction
 * target, unweighted) on one fixed set of (x0, ε, t) triples from the target test split, the
 * same triples for every arm and baseline, with the true class as condition.
 */
import * as v from "valibot";
import * as Effect from "effect/Effect";
import { tf } from "../tensor/tf.ts";
import { defineStage } from "../core/stage.ts";
import { json } from "../core/codec.ts";
import type { DatasetSplits, ModelBundle } from "../stages/codecs.ts";
import type { TrainedConfig } from "../stages/trainDiffusion.ts";
import { useEngine } from "../stages/engine.ts";
import { makeSchedule } from "../diffusion/schedules.ts";
import { targetTensor } from "../diffusion/targets.ts";
import { scoreTriples } from "../stages/tripleScores.ts";
import { evalTriples } from "../metrics/timestepBins.ts";
import { loadTuned, type TunedBundle, TunedConfigSchema } from "./adapterModel.ts";
import { Int } from "../core/schemas.ts";

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
      const triples = evalTriples(p.triples, schedule.T, p.seed, { numImages: test.shape.n });
      const model = loadTuned(base, inputs.tuned);
      const mse = yield* scoreTriples({
        split: test,
        triples,
        batchSize: p.batchSize,
        schedule,
        forward: model.forward,
        conditional: base.config.conditional,
        score: ({ x0, eps, alpha, sigma, output }) =>
          tf.mean(
            tf.square(tf.sub(targetTensor(target, x0, eps, alpha, sigma), output)),
            [1, 2, 3],
          ) as tf.Tensor1D,
        progress: ctx.progress,
      });
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
