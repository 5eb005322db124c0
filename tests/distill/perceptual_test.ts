/** The perceptual stand-in for LPIPS and the pixel L1, on hand-made features and images. */
import assert from "node:assert/strict";
import { tf } from "../../src/tensor/tf.ts";
import { perceptualDistance, pixelL1, regressionLoss } from "../../src/distill/perceptual.ts";

Deno.test("perceptualDistance() is the mean squared distance of unit-normalised features", () => {
  // row 0: (3,4) vs (3,4) → 0; row 1: (1,0) vs (0,2) → unit (1,0) vs (0,1) → 2; mean 1
  const d = perceptualDistance(tf.tensor2d([[3, 4], [1, 0]]), tf.tensor2d([[3, 4], [0, 2]]));
  assert.ok(Math.abs(d.dataSync()[0]! - 1) < 1e-6);
});

Deno.test("perceptualDistance() ignores the scale of each feature vector, as LPIPS's normalisation does", () => {
  const d = perceptualDistance(tf.tensor2d([[3, 4]]), tf.tensor2d([[30, 40]]));
  assert.ok(Math.abs(d.dataSync()[0]!) < 1e-6);
  // opposite directions: |u - (-u)|² = 4
  const o = perceptualDistance(tf.tensor2d([[1, 0]]), tf.tensor2d([[-5, 0]]));
  assert.ok(Math.abs(o.dataSync()[0]! - 4) < 1e-6);
});

Deno.test("pixelL1() is the mean absolute difference", () => {
  assert.ok(
    Math.abs(pixelL1(tf.tensor1d([1, 2]), tf.tensor1d([0, 4])).dataSync()[0]! - 1.5) < 1e-6,
  );
});

Deno.test("regressionLoss() sums the perceptual distance and the pixel L1", () => {
  const x = tf.tensor4d([1, 0, 0, 1], [2, 1, 1, 2]);
  const y = tf.tensor4d([1, 0, 1, 0], [2, 1, 1, 2]);
  const features = (a: tf.Tensor4D) => tf.reshape(a, [2, 2]) as tf.Tensor2D;
  const r = regressionLoss(features, x, features(y), y);
  // perceptual: row 0 equal (0), row 1 orthogonal unit vectors (2) → 1; L1: (0+0+1+1)/4 = 0.5
  assert.ok(Math.abs(r.perceptual.dataSync()[0]! - 1) < 1e-6);
  assert.ok(Math.abs(r.l1.dataSync()[0]! - 0.5) < 1e-6);
  assert.ok(Math.abs(r.loss.dataSync()[0]! - 1.5) < 1e-6);
});
