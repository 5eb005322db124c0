/**
 * The regression loss of DMD with the stand-in for LPIPS of docs/methods.md#dmd-loss (no LPIPS or
 * VGG weights exist on these machines): a perceptual distance in the penultimate features of the
 * pipeline's own classifier plus a pixel L1.
 *
 *   perceptual(a, b) = mean_b ‖f(a)/‖f(a)‖ − f(b)/‖f(b)‖‖²   (LPIPS's unit-normalised channels)
 *   regression(a, b) = perceptual(a, b) + mean |a − b|
 */
import { tf } from "../tensor/tf.ts";

/** Unit-normalised rows: [B, D] → [B, D]; an all-zero row stays zero (ε in the norm). */
const unitRows = (f: tf.Tensor2D): tf.Tensor2D =>
  tf.tidy(() => tf.div(f, tf.add(tf.norm(f, "euclidean", 1, true), 1e-10)) as tf.Tensor2D);

/** mean over the batch of the squared distance between unit-normalised features. Scalar. */
export const perceptualDistance = (fa: tf.Tensor2D, fb: tf.Tensor2D): tf.Scalar =>
  tf.tidy(() => {
    const d = tf.sub(unitRows(fa), unitRows(fb)); // [B, D]
    return tf.mean(tf.sum(tf.square(d), 1)) as tf.Scalar;
  });

/** Pixel L1: mean |a − b| over every element. Scalar. */
export const pixelL1 = (a: tf.Tensor, b: tf.Tensor): tf.Scalar =>
  tf.tidy(() => tf.mean(tf.abs(tf.sub(a, b))) as tf.Scalar);

/**
 * Regression loss between generator outputs `x` and teacher targets `y` (both [B, H, W, C]):
 * perceptual distance in `features` (the classifier's penultimate layer) plus pixel L1.
 * The parts are returned too, for the loss curves.
 */
export const regressionLoss = (
  features: (x: tf.Tensor4D) => tf.Tensor2D,
  x: tf.Tensor4D,
  yFeatures: tf.Tensor2D,
  y: tf.Tensor4D,
): { loss: tf.Scalar; perceptual: tf.Scalar; l1: tf.Scalar } => {
  const perceptual = perceptualDistance(features(x), yFeatures);
  const l1 = pixelL1(x, y);
  return { loss: tf.add(perceptual, l1) as tf.Scalar, perceptual, l1 };
};
