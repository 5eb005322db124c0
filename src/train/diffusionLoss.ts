/**
 * One training step's loss for a diffusion model: noising, the model's output, and the weighted
 * MSE of docs/methods.md#weightings: loss = mean_b m(t_b) · mean((target − output)²).
 *
 * Besides the weighted loss it returns each sample's unweighted x0-space MSE (of x̂0 clipped to
 * [-1, 1]), the quantity the Min-SNR paper's Figure 6 tracks per timestep bin.
 */
import { tf } from "../tensor/tf.ts";
import type { Schedule } from "../diffusion/schedules.ts";
import { predX0, type Target, targetTensor } from "../diffusion/targets.ts";
import { timestepCoefs } from "../diffusion/noising.ts";

export interface DiffusionBatch {
  /** [B, H, W, C] in [-1, 1]. */
  readonly x0: tf.Tensor4D;
  /** [B] int32 class labels (null class = numClasses for dropped labels), or undefined. */
  readonly labels: tf.Tensor1D | undefined;
  /** [B] integer timesteps. */
  readonly t: Int32Array;
  /** [B, H, W, C] standard normal noise. */
  readonly eps: tf.Tensor4D;
}

export type ModelForward = (
  xt: tf.Tensor4D,
  t: tf.Tensor1D,
  labels: tf.Tensor1D | undefined,
) => tf.Tensor4D;

/** The per-sample tensors a step derives from its timesteps in JS: α_t, σ_t, t, m(t). */
export interface StepCoefs {
  /** [B, 1, 1, 1] each. */
  readonly alpha: tf.Tensor;
  readonly sigma: tf.Tensor;
  /** [B] the timesteps as floats (the model's input). */
  readonly tFloat: tf.Tensor1D;
  /** [B] loss multipliers m(t). */
  readonly weights: tf.Tensor1D;
}

export const stepCoefs = (
  schedule: Schedule,
  t: Int32Array,
  multipliers: Float64Array,
): StepCoefs => {
  const { alpha, sigma } = timestepCoefs(schedule, t, 4);
  const m = Float32Array.from(t, (ti) => multipliers[ti]!);
  return { alpha, sigma, tFloat: tf.tensor1d(Float32Array.from(t)), weights: tf.tensor1d(m) };
};

/**
 * Weighted loss (scalar) and per-sample unweighted x0-MSE ([B]); call inside a gradient
 * function. `multipliers` is the weighting's table over t (weightings.ts lossMultiplierTable).
 */
export const diffusionLoss = (
  forward: ModelForward,
  batch: DiffusionBatch,
  schedule: Schedule,
  target: Target,
  multipliers: Float64Array,
): { loss: tf.Scalar; x0Mse: tf.Tensor1D; targetMse: tf.Tensor1D } =>
  diffusionLossFrom(forward, batch, stepCoefs(schedule, batch.t, multipliers), target);

/**
 * The same loss from coefficients given as tensors: every value that changes between steps is a
 * tensor argument, as a captured training step (engine graph capture) needs.
 */
export const diffusionLossFrom = (
  forward: ModelForward,
  batch: Omit<DiffusionBatch, "t">,
  coefs: StepCoefs,
  target: Target,
): { loss: tf.Scalar; x0Mse: tf.Tensor1D; targetMse: tf.Tensor1D } => {
  const { alpha, sigma } = coefs;
  const xt = tf.add(tf.mul(batch.x0, alpha), tf.mul(batch.eps, sigma)) as tf.Tensor4D; // [B,H,W,C]
  const goal = targetTensor(target, batch.x0, batch.eps, alpha, sigma); // [B,H,W,C]
  const output = forward(xt, coefs.tFloat, batch.labels); // [B,H,W,C]
  const targetMse = tf.mean(tf.square(tf.sub(goal, output)), [1, 2, 3]) as tf.Tensor1D; // [B]
  const loss = tf.mean(tf.mul(targetMse, coefs.weights)) as tf.Scalar;
  // x0-space error of the same prediction (a diagnostic: it does not enter `loss`, so no gradient
  // flows through it). x̂0 is clipped to the data range as samplers do: an ε-prediction's x̂0 at
  // SNR ≈ 1e-9 is ε-error/α ≈ 1e4 × ε-error and would swamp any batch mean.
  const x0Hat = tf.clipByValue(
    predX0(target, output, xt, target === "eps" ? tf.maximum(alpha, 1e-4) : alpha, sigma),
    -1,
    1,
  );
  const x0Mse = tf.mean(tf.square(tf.sub(x0Hat, batch.x0)), [1, 2, 3]) as tf.Tensor1D; // [B]
  return { loss, x0Mse, targetMse };
};
