/**
 * Scoring a model on fixed evaluation triples: each batch of (x0, ε, t) is noised to x_t, the
 * model predicts (a conditional model sees the true class, as when sampling at guidance 1), and
 * `score` turns the prediction into one number per triple. Shared by the binned-loss and
 * adapter-evaluation stages, so both measure on identical inputs.
 */
import * as Effect from "effect/Effect";
import { takeFloat32 } from "../tensor/read.ts";
import { tf } from "../tensor/tf.ts";
import type { Dataset } from "../data/dataset.ts";
import type { Schedule } from "../diffusion/schedules.ts";
import { timestepCoefs } from "../diffusion/noising.ts";
import type { EvalTriples } from "../metrics/timestepBins.ts";
import { tripleBatch } from "./tripleBatch.ts";

export interface NoisedPrediction {
  readonly x0: tf.Tensor4D;
  readonly eps: tf.Tensor4D;
  readonly xt: tf.Tensor4D;
  /** [b, 1, 1, 1] each. */
  readonly alpha: tf.Tensor;
  readonly sigma: tf.Tensor;
  readonly output: tf.Tensor4D;
}

export interface TripleScoring {
  readonly split: Dataset;
  readonly triples: EvalTriples;
  readonly batchSize: number;
  readonly schedule: Schedule;
  readonly forward: (xt: tf.Tensor4D, t: tf.Tensor1D, labels?: tf.Tensor1D) => tf.Tensor4D;
  readonly conditional: boolean;
  /** One value per triple of the batch ([b]). */
  readonly score: (p: NoisedPrediction) => tf.Tensor1D;
  readonly progress: (done: number, total: number) => Effect.Effect<void>;
}

/** The score of every triple, in order. */
export const scoreTriples = (o: TripleScoring) =>
  Effect.gen(function* () {
    const n = o.triples.t.length;
    const { height: h, width: w, channels: c } = o.split.shape;
    const scores = new Float64Array(n);
    for (let i = 0; i < n; i += o.batchSize) {
      const b = Math.min(o.batchSize, n - i);
      const { x0, eps, y, t } = tripleBatch(o.split, o.triples, i, b);
      const batch = yield* Effect.promise(() =>
        takeFloat32(tf.tidy(() => {
          const x0t = tf.tensor4d(x0, [b, h, w, c]);
          const noise = tf.tensor4d(eps, [b, h, w, c]);
          const { alpha, sigma } = timestepCoefs(o.schedule, t, 4);
          const xt = tf.add(tf.mul(x0t, alpha), tf.mul(noise, sigma)) as tf.Tensor4D;
          const labels = o.conditional ? tf.tensor1d(y, "int32") : undefined;
          const output = o.forward(xt, tf.tensor1d(Float32Array.from(t)), labels);
          return o.score({ x0: x0t, eps: noise, xt, alpha, sigma, output });
        }))
      );
      scores.set(batch, i);
      yield* o.progress(i + b, n);
      yield* Effect.yieldNow;
    }
    return scores;
  });
