/**
 * A diffusion model's loss and gradients as one captured program per batch shape on the `ort`
 * engine (src/engine/ort/graphCapture.ts), elsewhere the same computation per-op.
 *
 *   const lossAndGrads = capturedLossAndGrads({ trainable, read, forward, target, key });
 *   const { value, x0Mse, grads } = lossAndGrads(x0, noise, stepCoefs(schedule, t, m), labels);
 *
 * Every value that changes between steps is an argument: the batch, the noise, and the
 * coefficients α_t, σ_t, t, m(t) (`stepCoefs`), so nothing is frozen into the graph. `read` lists
 * every variable the forward pass reads (a frozen base under adapters included), `trainable` the
 * ones that get gradients.
 */
import { tf } from "../tensor/tf.ts";
import { captureForward } from "../engine/mod.ts";
import type { Target } from "../diffusion/targets.ts";
import type { ParamStore } from "../models/params.ts";
import { squaredGradNorm } from "./adamw.ts";
import { diffusionLossFrom, type ModelForward, type StepCoefs } from "./diffusionLoss.ts";

export interface CapturedLossSetup {
  /** The parameters that train (gradients by name). */
  readonly trainable: ParamStore;
  /** Every variable the forward pass reads, in a fixed order. */
  readonly read: () => readonly tf.Tensor[];
  readonly forward: ModelForward;
  readonly target: Target;
  /** The model's structure (kind and config): same key + same shapes = same graph. */
  readonly key: string;
}

export interface LossAndGrads {
  readonly value: tf.Scalar;
  /** [B] unweighted x0-space MSE per sample. */
  readonly x0Mse: tf.Tensor1D;
  readonly grads: Record<string, tf.Tensor>;
  /** Σ of every squared gradient entry (AdamW clips by its root), computed in the same graph. */
  readonly gradSquaredNorm: tf.Scalar;
}

export function capturedLossAndGrads(
  s: CapturedLossSetup,
): (x0: tf.Tensor4D, noise: tf.Tensor4D, k: StepCoefs, labels?: tf.Tensor1D) => LossAndGrads {
  const names = s.trainable.trainableNames();
  const run = captureForward(
    (...xs: tf.Tensor[]) => {
      const [x0, noise, alpha, sigma, tFloat, weights, y] = xs;
      let x0Mse: tf.Tensor | null = null;
      const { value, grads } = s.trainable.valueAndGrads(() => {
        const r = diffusionLossFrom(
          s.forward,
          {
            x0: x0 as tf.Tensor4D,
            labels: y as tf.Tensor1D | undefined,
            eps: noise as tf.Tensor4D,
          },
          {
            alpha: alpha!,
            sigma: sigma!,
            tFloat: tFloat as tf.Tensor1D,
            weights: weights as tf.Tensor1D,
          },
          s.target,
        );
        x0Mse = tf.keep(r.x0Mse);
        return r.loss;
      });
      const gradSquaredNorm = squaredGradNorm(grads, names);
      return [value, x0Mse!, gradSquaredNorm, ...names.map((n) => grads[n]!)];
    },
    { key: `loss:${s.key}:${s.target}:${names.join(",")}`, params: s.read },
  );
  return (x0, noise, k, labels) => {
    const args = [x0, noise, k.alpha, k.sigma, k.tFloat, k.weights, ...(labels ? [labels] : [])];
    const [value, x0Mse, gradSquaredNorm, ...g] = run(...args);
    const grads = Object.fromEntries(names.map((n, i) => [n, g[i]!]));
    return {
      value: value as tf.Scalar,
      x0Mse: x0Mse as tf.Tensor1D,
      grads,
      gradSquaredNorm: gradSquaredNorm as tf.Scalar,
    };
  };
}
