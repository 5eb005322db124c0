/**
 * Prediction targets (what a network is trained to output) and their conversions, in one place
 * (docs/methods.md#targets), for x_t = α·x_0 + σ·ε with α² + σ² = 1:
 *
 *   eps: target ε;               x̂_0 = (x_t - σ·ε̂)/α;   ε̂ = output
 *   x0:  target x_0;             x̂_0 = output;           ε̂ = (x_t - α·x̂_0)/σ
 *   v:   target v = α·ε - σ·x_0 (Salimans & Ho 2022, "Progressive distillation", §4);
 *                                x̂_0 = α·x_t - σ·v̂;      ε̂ = σ·x_t + α·v̂
 *
 * Each conversion exists as a scalar function, an element-wise typed-array function (for tests
 * and JS-side checks) and a tfjs version (alpha/sigma: numbers or tensors broadcastable against
 * x, e.g. [B,1,1,1]). Conversions that divide by α (ε → x̂_0) or σ (x_0 → ε̂) are undefined where
 * that coefficient is 0; they throw for scalar coefficients and are the caller's concern for
 * tensor ones (the denoiser checks its timesteps).
 */
import { tf } from "../tensor/tf.ts";
import * as v from "valibot";
import { DiffusionMathError } from "./errors.ts";

export const TARGETS = ["eps", "x0", "v"] as const;
export type Target = (typeof TARGETS)[number];
export const TargetSchema = v.picklist(TARGETS);

type Coef = number | tf.Tensor;
type Num = Float32Array | Float64Array | readonly number[];

// ---- scalar ----

/** The training target for one element. */
export function targetScalar(
  target: Target,
  x0: number,
  eps: number,
  alpha: number,
  sigma: number,
): number {
  switch (target) {
    case "eps":
      return eps;
    case "x0":
      return x0;
    case "v":
      return alpha * eps - sigma * x0;
  }
}

/** x̂_0 from one element of model output at x_t. */
export function predX0Scalar(
  target: Target,
  output: number,
  xt: number,
  alpha: number,
  sigma: number,
): number {
  switch (target) {
    case "eps":
      if (alpha === 0) throw zeroAlpha();
      return (xt - sigma * output) / alpha;
    case "x0":
      return output;
    case "v":
      return alpha * xt - sigma * output;
  }
}

/** ε̂ from one element of model output at x_t. */
export function predEpsScalar(
  target: Target,
  output: number,
  xt: number,
  alpha: number,
  sigma: number,
): number {
  switch (target) {
    case "eps":
      return output;
    case "x0":
      if (sigma === 0) throw zeroSigma();
      return (xt - alpha * output) / sigma;
    case "v":
      return sigma * xt + alpha * output;
  }
}

// ---- typed arrays (element-wise, scalar coefficients) ----

export function targetArray(
  target: Target,
  x0: Num,
  eps: Num,
  alpha: number,
  sigma: number,
): Float64Array {
  checkLengths(x0, eps);
  return Float64Array.from(x0, (x, i) => targetScalar(target, x, eps[i]!, alpha, sigma));
}

export function predX0Array(
  target: Target,
  output: Num,
  xt: Num,
  alpha: number,
  sigma: number,
): Float64Array {
  checkLengths(output, xt);
  return Float64Array.from(output, (o, i) => predX0Scalar(target, o, xt[i]!, alpha, sigma));
}

export function predEpsArray(
  target: Target,
  output: Num,
  xt: Num,
  alpha: number,
  sigma: number,
): Float64Array {
  checkLengths(output, xt);
  return Float64Array.from(output, (o, i) => predEpsScalar(target, o, xt[i]!, alpha, sigma));
}

// ---- tensors ----

/** The training target tensor (same shape as x0). */
export function targetTensor(
  target: Target,
  x0: tf.Tensor,
  eps: tf.Tensor,
  alpha: Coef,
  sigma: Coef,
): tf.Tensor {
  return tf.tidy(() => {
    switch (target) {
      case "eps":
        return eps.clone();
      case "x0":
        return x0.clone();
      case "v":
        return tf.sub(tf.mul(eps, alpha), tf.mul(x0, sigma));
    }
  });
}

/** x̂_0 tensor from model output at x_t. */
export function predX0(
  target: Target,
  output: tf.Tensor,
  xt: tf.Tensor,
  alpha: Coef,
  sigma: Coef,
): tf.Tensor {
  if (target === "eps" && alpha === 0) throw zeroAlpha();
  return tf.tidy(() => {
    switch (target) {
      case "eps":
        return tf.div(tf.sub(xt, tf.mul(output, sigma)), alpha);
      case "x0":
        return output.clone();
      case "v":
        return tf.sub(tf.mul(xt, alpha), tf.mul(output, sigma));
    }
  });
}

/** ε̂ tensor from model output at x_t. */
export function predEps(
  target: Target,
  output: tf.Tensor,
  xt: tf.Tensor,
  alpha: Coef,
  sigma: Coef,
): tf.Tensor {
  if (target === "x0" && sigma === 0) throw zeroSigma();
  return tf.tidy(() => {
    switch (target) {
      case "eps":
        return output.clone();
      case "x0":
        return tf.div(tf.sub(xt, tf.mul(output, alpha)), sigma);
      case "v":
        return tf.add(tf.mul(xt, sigma), tf.mul(output, alpha));
    }
  });
}

/** ε̂ from x̂_0 at x_t, whatever the target: (x_t - α·x̂_0)/σ. Samplers use this (σ > 0 there). */
export function epsFromX0(x0: tf.Tensor, xt: tf.Tensor, alpha: Coef, sigma: Coef): tf.Tensor {
  if (sigma === 0) throw zeroSigma();
  return tf.tidy(() => tf.div(tf.sub(xt, tf.mul(x0, alpha)), sigma));
}

// ---- private ----

function checkLengths(a: Num, b: Num): void {
  if (a.length !== b.length) throw new RangeError(`length mismatch: ${a.length} vs ${b.length}`);
}

function zeroAlpha(): DiffusionMathError {
  return new DiffusionMathError(
    "convert an ε-prediction to x̂_0",
    "α_t = 0 (SNR = 0, zero terminal SNR): x̂_0 = (x_t - σ·ε̂)/α is 0/0; train with a v or x0 target",
  );
}

function zeroSigma(): DiffusionMathError {
  return new DiffusionMathError("convert an x̂_0 to ε̂", "σ_t = 0: ε̂ = (x_t - α·x̂_0)/σ is undefined");
}
