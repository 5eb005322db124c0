/**
 * The distribution-matching gradient and loss on hand-computed cases: two samples of 1×1×2 with
 * known denoiser outputs, per-sample normalisation, nan_to_num, and the stop-gradient.
 */
import assert from "node:assert/strict";
import { tf } from "../../src/tensor/tf.ts";
import { selectBackend } from "../../src/engine/backend.ts";
import {
  dmGradient,
  dmLoss,
  dmTimestepRange,
  nanToNum,
  stopGradient,
} from "../../src/distill/dmGradient.ts";

const t4 = (xs: number[]) => tf.tensor4d(xs, [2, 1, 1, 2]);
const close = (got: ArrayLike<number>, want: number[], tol = 1e-6) => {
  assert.equal(got.length, want.length);
  want.forEach((w, i) => assert.ok(Math.abs(got[i]! - w) <= tol, `[${i}] ${got[i]} vs ${w}`));
};

// sample 0: x = (1, 2), x̂0_real = (0, 1), x̂0_fake = (2, 0)
//   p_real = (1, 1), mean|p_real| = 1, p_fake = (-1, 2)  → grad = (2, -1)
// sample 1: x = (0, 0), x̂0_real = (1, -3), x̂0_fake = (0, 1)
//   p_real = (-1, 3), mean|p_real| = 2, p_fake = (0, -1) → grad = (-1, 4)/2 = (-0.5, 2)
const X = [1, 2, 0, 0], REAL = [0, 1, 1, -3], FAKE = [2, 0, 0, 1];
const GRAD = [2, -1, -0.5, 2];

Deno.test("dmGradient() matches the hand-computed gradient of two samples", () => {
  const g = dmGradient(t4(X), t4(REAL), t4(FAKE));
  close(g.dataSync(), GRAD);
});

Deno.test("dmGradient() normalises by each sample's own mean |p_real|, not the batch's", () => {
  const g = dmGradient(t4(X), t4(REAL), t4(FAKE)).dataSync();
  // a batch-wide normaliser (mean |p_real| = 6/4 = 1.5) would give (4/3, -2/3, -2/3, 8/3)
  assert.ok(Math.abs(g[0]! - 4 / 3) > 0.5);
  // scaling one sample's p_real and p_fake by 10 leaves its gradient unchanged
  const scaled = dmGradient(
    t4([1, 2, 0, 0]),
    t4([1 - 10 * 1, 2 - 10 * 1, 1, -3]),
    t4([1 + 10 * 1, 2 - 10 * 2, 0, 1]),
  );
  close(scaled.dataSync(), GRAD, 1e-5);
});

Deno.test("nanToNum() maps NaN to 0 and ±∞ to ±the largest float32, like torch.nan_to_num", () => {
  const out = nanToNum(tf.tensor1d([NaN, Infinity, -Infinity, 1.5])).dataSync();
  assert.equal(out[0], 0);
  assert.equal(out[1], 3.4028234663852886e38);
  assert.equal(out[2], -3.4028234663852886e38);
  assert.equal(out[3], 1.5);
});

Deno.test("dmGradient() of a sample with p_real = 0 is cleaned by nan_to_num", () => {
  // sample 0: x = x̂0_real, so mean|p_real| = 0, p_fake = (-1, 0): 1/0 = +∞, 0/0 = NaN
  const g = dmGradient(t4([1, 1, 0, 0]), t4([1, 1, 1, -3]), t4([2, 1, 0, 1])).dataSync();
  assert.equal(g[0], 3.4028234663852886e38);
  assert.equal(g[1], 0);
  close([g[2]!, g[3]!], [-0.5, 2]);
  assert.ok([...g].every(Number.isFinite));
});

Deno.test("dmLoss() is 0.5·mean(grad²) and its gradient w.r.t. x is grad / N", () => {
  const grad = t4(GRAD);
  const value = dmLoss(t4(X), grad).dataSync()[0]!;
  assert.ok(Math.abs(value - 0.5 * (4 + 1 + 0.25 + 4) / 4) < 1e-6);
  const dx = tf.grad((x: tf.Tensor) => dmLoss(x, grad))(t4(X));
  close(dx.dataSync(), GRAD.map((g) => g / 4)); // N = 2 samples × 2 elements
});

Deno.test("dmLoss() with the gradient computed from stopGradient(x) passes no gradient through the scores", () => {
  // the scores depend on x (x̂0_real = 0.5·x, x̂0_fake = 0): without the stop-gradient the
  // derivative of grad itself would enter; with it, d loss/dx = grad/N exactly
  const x = t4([1, 2, -1, 3]);
  const dx = tf.grad((xx: tf.Tensor) => {
    const xd = stopGradient(xx);
    return dmLoss(xx, dmGradient(xd, tf.mul(xd, 0.5), tf.zerosLike(xd)));
  })(x);
  // p_real = 0.5x, p_fake = x → diff = -0.5x; mean|p_real| = 0.75 (s0), 1 (s1)
  const want = [-0.5 / 0.75, -1 / 0.75, 0.5 / 1, -1.5 / 1].map((g) => g / 4);
  close(dx.dataSync(), want);
});

Deno.test("dmTimestepRange() is [0.02T, 0.98T] as integers inside 0..T-1", () => {
  assert.deepEqual(dmTimestepRange(1000), [20, 980]);
  assert.deepEqual(dmTimestepRange(10, 0, 1), [0, 9]);
  assert.throws(() => dmTimestepRange(1000, 0.5, 0.5), /lo < hi/);
});

Deno.test("stopGradient() shares storage that outlives the original and frees with the last owner", async () => {
  await selectBackend("cpu");
  const before = tf.memory();
  const x = tf.tensor1d([1, -2, 3]);
  const leaf = stopGradient(x);
  x.dispose();
  assert.deepEqual(Array.from(await leaf.data()), [1, -2, 3]);
  leaf.dispose();
  const after = tf.memory();
  assert.equal(after.numTensors, before.numTensors);
  assert.equal(after.numDataBuffers, before.numDataBuffers);
});
