/**
 * The distribution-matching gradient of DMD (Yin et al. 2024, "One-step Diffusion with
 * Distribution Matching Distillation", eq. 7-8 and the authors' public code), as
 * docs/methods.md#dmd-loss states it:
 *
 *   p_real = x − x̂0_real(x_t),  p_fake = x − x̂0_fake(x_t)
 *   grad   = nan_to_num((p_real − p_fake) / mean(|p_real|))     (mean per sample)
 *   loss   = 0.5 · MSE(x, stopgrad(x − grad))
 *
 * so that ∂loss/∂x = grad / N with N the number of elements of x: the generator's parameters
 * receive exactly the normalised score difference, and the loss value itself is 0.5·mean(grad²).
 *
 * Pure tensor functions; no models, no randomness (the caller draws t and noise).
 */
import { tf } from "../tensor/tf.ts";

/** The largest finite float32: what torch.nan_to_num maps ±∞ to. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** torch.nan_to_num: NaN → 0, +∞ → the largest float32, −∞ → its negative. */
export const nanToNum = (x: tf.Tensor): tf.Tensor =>
  tf.tidy(() =>
    tf.where(tf.isNaN(x), tf.zerosLike(x), tf.clipByValue(x, -FLOAT32_MAX, FLOAT32_MAX))
  );

/**
 * `x` with no gradient path back to whatever computed it: a new tensor on the same storage,
 * made without any op, as tf.js's own reshape does (tf.js has no public stop_gradient op; a
 * tensor that no recorded op produced is a leaf of the tape). Nothing is read or copied.
 */
export const stopGradient = (x: tf.Tensor): tf.Tensor => {
  const engine = tf.engine();
  const leaf = engine.makeTensorFromDataId(x.dataId, x.shape, x.dtype);
  engine.backend.incRef(x.dataId); // the storage now has two owners; each dispose releases one
  return leaf;
};

/**
 * grad = (p_real − p_fake) / mean(|p_real|) per sample, NaN/∞ cleaned. All [B, H, W, C].
 * A sample whose p_real is exactly zero divides by zero; nan_to_num turns that into 0 or a
 * huge finite value, as the authors' code does.
 */
export const dmGradient = (x: tf.Tensor, x0Real: tf.Tensor, x0Fake: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const pReal = tf.sub(x, x0Real); // [B, H, W, C]
    const pFake = tf.sub(x, x0Fake); // [B, H, W, C]
    const axes = Array.from({ length: x.rank - 1 }, (_, i) => i + 1);
    const scale = tf.mean(tf.abs(pReal), axes, true); // [B, 1, 1, 1]
    return nanToNum(tf.div(tf.sub(pReal, pFake), scale)); // [B, H, W, C]
  });

/**
 * loss_dm = 0.5 · mean((x − stopgrad(x − grad))²). `x` carries the generator's gradient path;
 * `grad` must not (compute it from `stopGradient(x)`). Returns a scalar.
 */
export const dmLoss = (x: tf.Tensor, grad: tf.Tensor): tf.Scalar =>
  tf.tidy(() => {
    const target = stopGradient(tf.sub(x, grad)); // [B, H, W, C], a leaf
    return tf.mul(0.5, tf.mean(tf.square(tf.sub(x, target)))) as tf.Scalar;
  });

/**
 * The integer timestep range of the DM loss: t uniform in [lo·T, hi·T] (0.02 and 0.98 in the
 * paper), as inclusive bounds [⌈lo·T⌉, ⌊hi·T⌋] clipped to 0..T−1.
 */
export const dmTimestepRange = (T: number, lo = 0.02, hi = 0.98): [number, number] => {
  if (!(0 <= lo && lo < hi && hi <= 1)) {
    throw new RangeError(`DM timestep fractions must satisfy 0 ≤ lo < hi ≤ 1, got ${lo}, ${hi}`);
  }
  return [Math.max(0, Math.ceil(lo * T)), Math.min(T - 1, Math.floor(hi * T))];
};
