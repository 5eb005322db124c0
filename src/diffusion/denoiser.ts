/**
 * The one interface where models, schedules and samplers meet (k-diffusion, external.py): any
 * network, whatever its parameterisation (ε, x_0 or v; see targets.ts), becomes a denoiser
 * D(x_t, t, cond) → x̂_0. Samplers only ever see denoisers.
 *
 * Also classifier-free guidance (Ho & Salimans 2022, "Classifier-Free Diffusion Guidance", eq. 6),
 * x̂0 clipping, and the exact denoiser of a Gaussian dataset (used to check samplers).
 *
 * Time: a model receives t as a float32 [B] tensor of (possibly fractional) discrete timesteps in
 * [0, T-1], the same values the training loop feeds it.
 */
import { tf } from "../tensor/tf.ts";
import { DiffusionConfigError, DiffusionMathError } from "./errors.ts";
import { timestepCoefs, type Timesteps, timestepValues } from "./noising.ts";
import { coefAt, type Schedule } from "./schedules.ts";
import { predX0, type Target, TARGETS } from "./targets.ts";

/** A network: x_t [B, …], t [B] float32, optional condition [B, …] → output shaped like x_t. */
export type ModelFn = (x: tf.Tensor, t: tf.Tensor1D, cond?: tf.Tensor) => tf.Tensor;

/**
 * x̂_0 = D(x_t, t, cond). `t` is one timestep for the whole batch (what samplers pass) or one per
 * sample (what training-time uses such as DMD pass). Returns a new tensor the caller owns.
 */
export type Denoiser = (x: tf.Tensor, t: number | Timesteps, cond?: tf.Tensor) => tf.Tensor;

/**
 * Wraps a model trained on `target` under `schedule` as a denoiser. Throws `DiffusionMathError`
 * for an ε-model asked about a timestep with α = 0 (zero terminal SNR), where x̂_0 is undefined
 * (Lin et al. 2023, §3.2: use v or x0 targets with such schedules).
 */
export function makeDenoiser(model: ModelFn, target: Target, schedule: Schedule): Denoiser {
  if (!(TARGETS as readonly string[]).includes(target)) {
    throw new DiffusionConfigError("denoiser", [
      {
        field: "target",
        message: `unknown target "${target}", expected one of ${TARGETS.join(", ")}`,
      },
    ]);
  }
  return (x, t, cond) => {
    const batch = x.shape[0];
    if (batch === undefined) throw new RangeError("denoiser input must have a batch axis");
    const values: ArrayLike<number> = typeof t === "number"
      ? new Float32Array(batch).fill(t)
      : timestepValues(t, batch);
    // Coefficients first, in JS: range errors and the ε-at-SNR-0 check come before any model call.
    const alpha = new Float32Array(batch);
    const sigma = new Float32Array(batch);
    for (let i = 0; i < batch; i++) {
      const c = coefAt(schedule, values[i]!);
      if (target === "eps" && c.alpha === 0) {
        throw new DiffusionMathError(
          `denoise with an ε-prediction model at t = ${values[i]}`,
          "α_t = 0 there (zero terminal SNR), so x̂_0 = (x_t - σ·ε̂)/α is undefined; use a v or x0 model",
        );
      }
      alpha[i] = c.alpha;
      sigma[i] = c.sigma;
    }
    return tf.tidy(() => {
      const output = model(x, tf.tensor1d(Float32Array.from(values), "float32"), cond);
      if (!sameShape(output.shape, x.shape)) {
        throw new RangeError(
          `model output [${output.shape}] does not match its input [${x.shape}]`,
        );
      }
      const coefShape = [batch, ...new Array<number>(x.rank - 1).fill(1)];
      return predX0(target, output, x, tf.tensor(alpha, coefShape), tf.tensor(sigma, coefShape));
    });
  };
}

/**
 * Classifier-free guidance: out = u + scale·(c - u) with c = model(x, t, cond) and
 * u = model(x, t, nullCond), evaluated as one batch of 2B. Guiding the raw output is the same as
 * guiding x̂_0 or ε̂ for every target, since the conversions are affine in the output with
 * coefficients that do not depend on it. `nullCond` has cond's shape or a batch of 1 (tiled).
 * scale 1 = conditional only (one model call), 0 = unconditional only.
 */
export function cfg(model: ModelFn, scale: number, nullCond: tf.Tensor): ModelFn {
  if (!Number.isFinite(scale)) throw new RangeError(`cfg scale must be finite, got ${scale}`);
  return (x, t, cond) => {
    if (cond === undefined) throw new RangeError("cfg: the guided model needs a condition");
    // tidy even here: it also frees whatever intermediates a careless model leaves behind.
    if (scale === 1) return tf.tidy(() => model(x, t, cond));
    return tf.tidy(() => {
      const b = cond.shape[0]!;
      let uncond = nullCond;
      if (nullCond.shape[0] === 1 && b !== 1) {
        uncond = tf.tile(nullCond, [b, ...new Array<number>(nullCond.rank - 1).fill(1)]);
      }
      if (!sameShape(uncond.shape, cond.shape)) {
        throw new RangeError(
          `cfg: null condition [${nullCond.shape}] does not fit condition [${cond.shape}]`,
        );
      }
      if (uncond.dtype !== cond.dtype) uncond = tf.cast(uncond, cond.dtype);
      if (scale === 0) return model(x, t, uncond);
      const both = model(
        tf.concat([x, x]),
        tf.concat([t, t]) as tf.Tensor1D,
        tf.concat([cond, uncond]),
      );
      const [c, u] = tf.split(both, 2);
      return tf.add(u!, tf.mul(tf.sub(c!, u!), scale));
    });
  };
}

/** x̂_0 clipped to [lo, hi] (DDPM's `clip_denoised`; data scaled to [-1, 1]). */
export function clipDenoiser(denoiser: Denoiser, lo = -1, hi = 1): Denoiser {
  if (!(lo < hi)) throw new RangeError(`clip range must have lo < hi, got [${lo}, ${hi}]`);
  return (x, t, cond) =>
    tf.tidy(() => {
      const x0 = denoiser(x, t, cond);
      return tf.clipByValue(x0, lo, hi);
    });
}

/**
 * The exact denoiser E[x_0 | x_t] for data x_0 ~ N(mean, std²) i.i.d. per element:
 * x̂_0 = mean + α·std²/(α²·std² + σ²) · (x_t - α·mean). Samplers driven by it must reproduce the
 * data distribution, which is how the tests check them.
 */
export function gaussianDenoiser(mean: number, std: number, schedule: Schedule): Denoiser {
  return (x, t) =>
    tf.tidy(() => {
      const values: Timesteps = typeof t === "number" ? [t] : t;
      const { alpha, sigma } = timestepCoefs(schedule, values, x.rank);
      const gain = tf.div(
        tf.mul(alpha, std * std),
        tf.add(tf.mul(tf.square(alpha), std * std), tf.square(sigma)),
      );
      return tf.add(tf.mul(gain, tf.sub(x, tf.mul(alpha, mean))), mean);
    });
}

/** One component of a Gaussian mixture: weight π (the weights need not sum to 1), mean, std. */
export interface GaussianComponent {
  readonly weight: number;
  readonly mean: number;
  readonly std: number;
}

/**
 * The exact denoiser E[x_0 | x_t] for data x_0 ~ Σ_k π_k·N(μ_k, s_k²) i.i.d. per element. With
 * v_k = α²·s_k² + σ², the posterior weight of component k is
 *   w_k ∝ π_k·N(x_t; α·μ_k, v_k)   and   x̂_0 = Σ_k w_k·(μ_k + α·s_k²/v_k · (x_t - α·μ_k)),
 * i.e. the Gaussian denoiser of each component, averaged under the posterior over components.
 * Its probability-flow ODE is curved (unlike one Gaussian's), so it tells samplers apart.
 */
export function gaussianMixtureDenoiser(
  components: readonly GaussianComponent[],
  schedule: Schedule,
): Denoiser {
  if (components.length === 0 || components.some((c) => !(c.weight > 0) || !(c.std > 0))) {
    throw new RangeError("a Gaussian mixture needs components with positive weights and stds");
  }
  return (x, t) =>
    tf.tidy(() => {
      const values: Timesteps = typeof t === "number" ? [t] : t;
      const { alpha, sigma } = timestepCoefs(schedule, values, x.rank);
      const logWeights: tf.Tensor[] = [];
      const means: tf.Tensor[] = [];
      for (const c of components) {
        const variance = tf.add(tf.mul(tf.square(alpha), c.std * c.std), tf.square(sigma));
        const r = tf.sub(x, tf.mul(alpha, c.mean)); // x_t - α·μ_k
        logWeights.push(tf.sub(
          tf.sub(Math.log(c.weight), tf.mul(tf.log(variance), 0.5)),
          tf.div(tf.square(r), tf.mul(variance, 2)),
        ));
        means.push(tf.add(tf.mul(tf.div(tf.mul(alpha, c.std * c.std), variance), r), c.mean));
      }
      const top = logWeights.reduce((a, b) => tf.maximum(a, b));
      const w = logWeights.map((l) => tf.exp(tf.sub(l, top)));
      return tf.div(tf.addN(w.map((wk, k) => tf.mul(wk, means[k]!))), tf.addN(w));
    });
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
