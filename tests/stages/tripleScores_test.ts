/** Scoring on fixed triples (binned loss, adapter evaluation) against closed forms. */
import assert from "node:assert/strict";
import * as Effect from "effect/Effect";
import { tf } from "../../src/tensor/tf.ts";
import { scoreTriples } from "../../src/stages/tripleScores.ts";
import { tripleBatch } from "../../src/stages/tripleBatch.ts";
import { evalTriples } from "../../src/metrics/timestepBins.ts";
import { makeSchedule } from "../../src/diffusion/schedules.ts";
import { generateShapes } from "../../src/data/procedural.ts";
import { assertClose } from "../helpers/assert.ts";

await tf.setBackend("cpu");

const split = generateShapes({ n: 12, seed: 1, size: 8, channels: 1 });
const schedule = makeSchedule({ family: "cosine", T: 100 });
const triples = evalTriples(10, schedule.T, 3, { numImages: split.shape.n });

Deno.test("scoreTriples() of a model predicting 0 for ε is mean(ε²) per triple, batch after batch", async () => {
  const seen: boolean[] = [];
  const done: number[] = [];
  const scores = await Effect.runPromise(scoreTriples({
    split,
    triples,
    batchSize: 4, // 4 + 4 + 2: the last batch is partial
    schedule,
    forward: (xt, _t, labels) => {
      seen.push(labels !== undefined);
      return tf.zerosLike(xt);
    },
    conditional: true,
    score: ({ eps, output }) => tf.mean(tf.square(tf.sub(eps, output)), [1, 2, 3]) as tf.Tensor1D,
    progress: (d) => Effect.sync(() => void done.push(d)),
  }));
  const { eps } = tripleBatch(split, triples, 0, 10);
  const size = 8 * 8;
  const expected = Array.from({ length: 10 }, (_, i) => {
    let s = 0;
    for (let k = 0; k < size; k++) s += eps[i * size + k]! ** 2;
    return s / size;
  });
  assertClose(scores, expected, { rtol: 1e-5 }, "mean(ε²)");
  assert.deepEqual(done, [4, 8, 10]);
  assert.deepEqual(seen, [true, true, true], "a conditional model sees the labels");
});

Deno.test("scoreTriples() noises x0 as α·x0 + σ·ε: a model returning x_t scores |x_t − α·x0 − σ·ε| = 0", async () => {
  const scores = await Effect.runPromise(scoreTriples({
    split,
    triples,
    batchSize: 10,
    schedule,
    forward: (xt, _t, labels) => {
      assert.equal(labels, undefined, "an unconditional model gets no labels");
      return xt;
    },
    conditional: false,
    score: ({ x0, eps, alpha, sigma, output }) =>
      tf.max(tf.abs(tf.sub(output, tf.add(tf.mul(x0, alpha), tf.mul(eps, sigma)))), [
        1,
        2,
        3,
      ]) as tf.Tensor1D,
    progress: () => Effect.void,
  }));
  assertClose(scores, new Array(10).fill(0), { atol: 0 }, "x_t");
});
