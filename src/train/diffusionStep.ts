/**
 * One optimisation step of a diffusion model, shared by base training and adapter tuning: the
 * step's randomness derived from (seed, step) alone (uniform t, noise, label dropout), so arms
 * sharing `seed` see identical draws and a resumed run draws what an uninterrupted one would;
 * the weighted loss and its gradients; an AdamW update that is never applied when non-finite.
 */
import { tf } from "../tensor/tf.ts";
import type { Schedule } from "../diffusion/schedules.ts";
import type { Target } from "../diffusion/targets.ts";
import { deriveSeed, makeRng } from "../diffusion/rng.ts";
import type { ParamStore } from "../models/params.ts";
import type { AdamW } from "./adamw.ts";
import type { Ema } from "./ema.ts";
import { diffusionLoss, type ModelForward, stepCoefs } from "./diffusionLoss.ts";
import type { LossAndGrads } from "./capturedLoss.ts";
import { readFloat32, readScalar } from "../tensor/read.ts";

export interface DiffusionStepSetup {
  /** The parameters that train (the whole model, or only adapters on a frozen base). */
  readonly params: ParamStore;
  readonly forward: ModelForward;
  readonly optimizer: AdamW;
  /** Updated after every applied step; absent: no EMA. */
  readonly ema?: Ema | null;
  readonly schedule: Schedule;
  readonly target: Target;
  /** The weighting's multiplier for every t (weightings.ts lossMultiplierTable). */
  readonly multipliers: Float64Array;
  readonly seed: number;
  /** Classes of a conditional model (labels drop to the null class `classes`); 0: unconditional. */
  readonly classes: number;
  readonly labelDropout: number;
  /** [height, width, channels] of one image. */
  readonly imageShape: readonly [number, number, number];
  /**
   * Loss and gradients as one captured program (capturedLoss.ts); absent: computed per-op here.
   * Both compute the same loss (tests/engine/captureStep_test.ts).
   */
  readonly lossAndGrads?: (
    x0: tf.Tensor4D,
    noise: tf.Tensor4D,
    k: ReturnType<typeof stepCoefs>,
    labels?: tf.Tensor1D,
  ) => LossAndGrads;
}

export interface StepBatch {
  readonly images: Float32Array;
  readonly labels?: Int32Array | null | undefined;
  readonly size: number;
}

export interface StepOutcome {
  /** The weighted loss; NaN when the gradient was non-finite (nothing was applied). */
  readonly loss: number;
  /** Mean unweighted x0-space MSE of the batch; NaN when nothing was applied. */
  readonly x0Mse: number;
  readonly gradNorm: number;
}

/** Runs step `step` on `batch`; a non-finite loss or gradient leaves every weight as it was. */
export const diffusionStep = async (
  s: DiffusionStepSetup,
  step: number,
  batch: StepBatch,
): Promise<StepOutcome> => {
  const B = batch.size;
  const [h, w, c] = s.imageShape;
  const rng = makeRng(deriveSeed(s.seed, "step", String(step)));
  const t = rng.integers(B, 0, s.schedule.T); // uniform t, identical across arms sharing `seed`
  const eps = rng.normal(B * h * w * c);
  let labels: Int32Array | undefined;
  if (s.classes > 0) {
    const drop = rng.uniform(B);
    labels = Int32Array.from(
      batch.labels!,
      (y, i) => (drop[i]! < s.labelDropout ? s.classes : y),
    );
  }
  const out = tf.tidy(() => {
    const x0 = tf.tensor4d(batch.images, [B, h, w, c]);
    const noise = tf.tensor4d(eps, [B, h, w, c]);
    const y = labels ? tf.tensor1d(labels, "int32") : undefined;
    if (s.lossAndGrads) {
      const r = s.lossAndGrads(x0, noise, stepCoefs(s.schedule, t, s.multipliers), y);
      return { value: r.value, grads: r.grads, x0Mse: r.x0Mse, gradSquaredNorm: r.gradSquaredNorm };
    }
    let x0Mse: tf.Tensor1D | null = null;
    const { value, grads } = s.params.valueAndGrads(() => {
      const r = diffusionLoss(
        s.forward,
        { x0, labels: y, t, eps: noise },
        s.schedule,
        s.target,
        s.multipliers,
      );
      x0Mse = tf.keep(r.x0Mse);
      return r.loss;
    });
    return { value, grads, x0Mse: x0Mse! as tf.Tensor1D, gradSquaredNorm: undefined };
  });
  const dispose = () => tf.dispose([out.value, out.x0Mse, ...Object.values(out.grads)]);
  const loss = await readScalar(out.value);
  if (!Number.isFinite(loss)) {
    // never apply a non-finite update: the last good weights stay intact
    dispose();
    out.gradSquaredNorm?.dispose();
    return { loss, x0Mse: NaN, gradNorm: NaN };
  }
  const gradNorm = await s.optimizer.update(out.grads, out.gradSquaredNorm);
  if (!Number.isFinite(gradNorm)) {
    dispose();
    return { loss: NaN, x0Mse: NaN, gradNorm };
  }
  s.ema?.update(step);
  const x0Mse = (await readFloat32(out.x0Mse)).reduce((a, b) => a + b, 0) / B;
  dispose();
  return { loss, x0Mse, gradNorm };
};
