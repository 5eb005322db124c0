/**
 * Samplers: walk a schedule from x_T to x_0 with a denoiser (denoiser.ts). Every sampler has the
 * same signature (k-diffusion style), so pipelines sweep over samplers like over any parameter:
 *
 *   sampleX(denoiser, xT, schedule, options, cond?) → x_0   (a new tensor the caller owns)
 *
 * `xT` is treated as the sample at the first visited timestep (spacing.ts), whatever its level,
 * as diffusers does; the caller keeps ownership of `xT` and `cond`. Options are plain JSON
 * (hashable for cache keys), validated by a strict valibot schema: an unknown option is an error.
 * Stochastic samplers draw their noise from the seeded `Rng` (rng.ts), never from tf.random.
 *
 * Zero terminal SNR: at α_t = 0 the first step needs ε̂ = x_t (exact there, since x_t = ε) and an
 * x̂_0 that only a v or x0 model can give; an ε-model's denoiser throws (Lin et al. 2023 §3.2).
 * Every sampler here is written so that α_t = 0 needs no division by α_t.
 *
 * Every step runs inside `tf.tidy`; only the running state (and DPM++'s previous x̂_0) survive it.
 */
import * as v from "valibot";
import { tf } from "../tensor/tf.ts";
import type { Denoiser } from "./denoiser.ts";
import { DiffusionConfigError, parseConfig } from "./errors.ts";
import { makeRng } from "./rng.ts";
import { coefAt, type Schedule } from "./schedules.ts";
import { EDM_SIGMA_MAX, samplingTimesteps, SPACINGS } from "./spacing.ts";

/**
 * What a sampler reports after each step (k-diffusion's `callback`): the step index `i` of
 * `steps`, the level it started from (`t`, α, σ), the state `x` at that level and the denoiser's
 * `denoised` = x̂_0 there. The tensors are only valid during the call (they are freed after it);
 * copy what you keep with `dataSync()` or `clone()`.
 */
export interface StepInfo {
  readonly i: number;
  readonly steps: number;
  readonly t: number;
  readonly alpha: number;
  readonly sigma: number;
  readonly x: tf.Tensor;
  readonly denoised: tf.Tensor;
}
export type StepCallback = (info: StepInfo) => void;

/** The shared signature. `O` is the sampler's options input type. */
export type Sampler<O> = (
  denoiser: Denoiser,
  xT: tf.Tensor,
  schedule: Schedule,
  options: O,
  cond?: tf.Tensor,
  callback?: StepCallback,
) => tf.Tensor;

const common = {
  /** Number of timesteps visited (denoiser calls for all but Heun). Required. */
  steps: v.pipe(v.number(), v.integer(), v.minValue(1)),
  /** Timestep spacing (spacing.ts); default "trailing". */
  spacing: v.optional(v.picklist(SPACINGS)),
  /** ρ of the karras spacing (default 7); refused with other spacings. */
  rho: v.optional(v.pipe(v.number(), v.gtValue(0), v.finite())),
};
const Seed = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));

export const DdpmOptionsSchema = v.strictObject({
  ...common,
  /** Seed of the ancestral noise. Required: the sampler is stochastic. */
  seed: Seed,
});
export const DdimOptionsSchema = v.strictObject({
  ...common,
  /** η of Song et al. eq. 16: 0 = deterministic DDIM, 1 = DDPM's posterior variance. Default 0. */
  eta: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1))),
  /** Seed of the noise; required when η > 0, unused at η = 0. */
  seed: v.optional(Seed),
});
export const Dpmpp2mOptionsSchema = v.strictObject({ ...common });
export const HeunOptionsSchema = v.strictObject({ ...common });

export type DdpmOptions = v.InferInput<typeof DdpmOptionsSchema>;
export type DdimOptions = v.InferInput<typeof DdimOptionsSchema>;
export type Dpmpp2mOptions = v.InferInput<typeof Dpmpp2mOptionsSchema>;
export type HeunOptions = v.InferInput<typeof HeunOptionsSchema>;

/** One visited noise level; `clean` (α = 1, σ = 0) terminates every walk. */
interface Level {
  readonly t: number;
  readonly alpha: number;
  readonly sigma: number;
}
const CLEAN: Level = { t: -1, alpha: 1, sigma: 0 };

/**
 * Ancestral DDPM sampling: Ho et al. 2020, Algorithm 2, generalised to a subset of timesteps by
 * sampling the posterior q(x_s | x_t, x̂_0) (Kingma et al. 2021, "Variational Diffusion Models",
 * eq. 32-33): with α_{t|s} = α_t/α_s and σ²_{t|s} = σ_t² - α_{t|s}²·σ_s²,
 *   μ = (α_s·σ²_{t|s}/σ_t²)·x̂_0 + (α_{t|s}·σ_s²/σ_t²)·x_t,   Var = σ²_{t|s}·σ_s²/σ_t²
 * (the "small" posterior variance β̃). The last step returns x̂_0.
 */
export const sampleDdpm: Sampler<DdpmOptions> = (
  denoiser,
  xT,
  schedule,
  options,
  cond,
  callback,
) => {
  const o = parseConfig("ddpm options", DdpmOptionsSchema, options);
  const rng = makeRng(o.seed);
  return walk(xT, levelsFor(schedule, o), callback, (x, cur, next) => {
    const x0 = denoiser(x, cur.t, cond);
    if (next === CLEAN) return [x0, x0]; // μ = x̂_0 and Var = 0 there
    const atS = cur.alpha / next.alpha;
    const s2ts = Math.max(cur.sigma ** 2 - atS ** 2 * next.sigma ** 2, 0);
    const cX0 = (next.alpha * s2ts) / cur.sigma ** 2;
    const cXt = (atS * next.sigma ** 2) / cur.sigma ** 2;
    const variance = (s2ts * next.sigma ** 2) / cur.sigma ** 2;
    const mean = tf.add(tf.mul(x0, cX0), tf.mul(x, cXt));
    if (variance === 0) return [mean, x0];
    const noise = tf.tensor(rng.normal(x.size), x.shape);
    return [tf.add(mean, tf.mul(noise, Math.sqrt(variance))), x0];
  });
};

/**
 * DDIM: Song et al. 2021, "Denoising Diffusion Implicit Models", eq. 12 with σ_t(η) of eq. 16:
 *   x_s = α_s·x̂_0 + √(σ_s² - σ̃²)·ε̂ + σ̃·z,   σ̃ = η·(σ_s/σ_t)·√(1 - α_t²/α_s²),
 * ε̂ = (x_t - α_t·x̂_0)/σ_t. η = 0 is the deterministic sampler (first-order solver of the
 * probability-flow ODE); η = 1 matches `sampleDdpm`.
 */
export const sampleDdim: Sampler<DdimOptions> = (
  denoiser,
  xT,
  schedule,
  options,
  cond,
  callback,
) => {
  const o = parseConfig("ddim options", DdimOptionsSchema, options);
  const eta = o.eta ?? 0;
  if (eta > 0 && o.seed === undefined) {
    throw new DiffusionConfigError("ddim options", [{
      field: "seed",
      message: "η > 0 needs a seed",
    }]);
  }
  const rng = eta > 0 ? makeRng(o.seed!) : undefined;
  return walk(xT, levelsFor(schedule, o), callback, (x, cur, next) => {
    const x0 = denoiser(x, cur.t, cond);
    if (next === CLEAN) return [x0, x0];
    const eps = tf.div(tf.sub(x, tf.mul(x0, cur.alpha)), cur.sigma);
    const noiseStd = eta * (next.sigma / cur.sigma) *
      Math.sqrt(Math.max(1 - (cur.alpha / next.alpha) ** 2, 0));
    const dir = Math.sqrt(Math.max(next.sigma ** 2 - noiseStd ** 2, 0));
    const mean = tf.add(tf.mul(x0, next.alpha), tf.mul(eps, dir));
    if (rng === undefined || noiseStd === 0) return [mean, x0];
    return [tf.add(mean, tf.mul(tf.tensor(rng.normal(x.size), x.shape), noiseStd)), x0];
  });
};

/**
 * DPM-Solver++(2M): Lu et al. 2022, "DPM-Solver++", Algorithm 2 (multistep, second order, data
 * prediction), in λ = log(α/σ) with h = λ_s - λ_t and r = h_prev/h:
 *   D = (1 + 1/(2r))·x̂_0(t) - (1/(2r))·x̂_0(prev),   x_s = (σ_s/σ_t)·x_t - α_s·(e^{-h} - 1)·D.
 * The first step (no history) and the step into σ = 0 are first order (k-diffusion's
 * `sample_dpmpp_2m`; the latter returns x̂_0). From α_t = 0, λ_t = -∞ and h = ∞ give the exact
 * first-order limit x_s = σ_s·x_t + α_s·x̂_0, and the next step has no usable history (r = ∞).
 */
export const sampleDpmpp2m: Sampler<Dpmpp2mOptions> = (
  denoiser,
  xT,
  schedule,
  options,
  cond,
  callback,
) => {
  const o = parseConfig("dpmpp-2m options", Dpmpp2mOptionsSchema, options);
  let prev: { x0: tf.Tensor; h: number } | undefined;
  try {
    return walk(xT, levelsFor(schedule, o), callback, (x, cur, next) => {
      const x0 = denoiser(x, cur.t, cond);
      if (next === CLEAN) return [x0, x0];
      const h = lambda(next) - lambda(cur);
      const r = prev === undefined ? Infinity : prev.h / h;
      const d = Number.isFinite(r)
        ? tf.sub(tf.mul(x0, 1 + 1 / (2 * r)), tf.mul(prev!.x0, 1 / (2 * r)))
        : x0;
      const xNext = tf.sub(
        tf.mul(x, next.sigma / cur.sigma),
        tf.mul(d, next.alpha * Math.expm1(-h)),
      );
      prev?.x0.dispose();
      prev = { x0: tf.keep(x0), h };
      return [xNext, x0];
    });
  } finally {
    prev?.x0.dispose();
  }
};

/**
 * Heun's second-order method on the probability-flow ODE in σ_VE = σ/α: Karras et al. 2022
 * ("EDM"), Algorithm 1, deterministic (S_churn = 0). With x_VE = x/α and d = (x_VE - D)/σ_VE = ε̂,
 * the Euler step equals DDIM, x'_s = α_s·x̂_0 + σ_s·ε̂_t, and the trapezoidal correction is
 *   x_s = α_s·x̂_0 + ½(σ_s + α_s·σ_t/α_t)·ε̂_t + ½(σ_s - α_s·σ_t/α_t)·ε̂'_s,
 * written in VP coordinates so that no x/α is ever formed. The step into σ = 0 is Euler (returns
 * x̂_0), and so is every step that starts above σ_VE = 80 (`EDM_SIGMA_MAX`, spacing.ts), which
 * includes α_t = 0 (σ_VE = ∞), where the correction is undefined.
 *
 * Why the Euler steps (docs/methods.md#samplers): a VP schedule's last step sits far above EDM's
 * σ_max = 80 (σ_VE ≈ 2·10⁴ for the cosine schedule at t = T-1). The correction weighs the slope at
 * the end of the step by ½(σ_VE,t - σ_VE,s), i.e. by about 10⁴, so the slope's error there is
 * amplified into the sample (measured on N(0.5, 0.3²), trailing spacing: variance 1.49 at 10 steps
 * and 0.216 at 18 instead of 0.09; docs/samplers.md has the table). Up there the data are invisible under the noise
 * (x̂_0 ≈ the data mean), the ODE is nearly straight in σ_VE, and Euler is accurate; EDM avoids the
 * region by starting at σ_max = 80, which in VP terms would mean rescaling x_T, while an Euler step
 * keeps x_T ~ N(0, I) at the first visited timestep as every other sampler here does.
 * Uses 2·steps - 1 denoiser calls, minus one per Euler step taken above σ_VE = 80.
 */
export const sampleHeun: Sampler<HeunOptions> = (
  denoiser,
  xT,
  schedule,
  options,
  cond,
  callback,
) => {
  const o = parseConfig("heun options", HeunOptionsSchema, options);
  return walk(xT, levelsFor(schedule, o), callback, (x, cur, next) => {
    const x0 = denoiser(x, cur.t, cond);
    if (next === CLEAN) return [x0, x0];
    const eps = tf.div(tf.sub(x, tf.mul(x0, cur.alpha)), cur.sigma);
    const euler = tf.add(tf.mul(x0, next.alpha), tf.mul(eps, next.sigma));
    // `!(… <= …)` is also true for α_t = 0, where σ/α is Infinity or NaN
    if (!(cur.sigma <= EDM_SIGMA_MAX * cur.alpha)) return [euler, x0];
    const x0Next = denoiser(euler, next.t, cond);
    const epsNext = tf.div(tf.sub(euler, tf.mul(x0Next, next.alpha)), next.sigma);
    const scaled = (next.alpha * cur.sigma) / cur.alpha;
    return [
      tf.addN([
        tf.mul(x0, next.alpha),
        tf.mul(eps, 0.5 * (next.sigma + scaled)),
        tf.mul(epsNext, 0.5 * (next.sigma - scaled)),
      ]),
      x0,
    ];
  });
};

// ---- registry ----

export const SAMPLER_NAMES = ["ddpm", "ddim", "dpmpp-2m", "heun"] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];

export interface SamplerEntry {
  readonly name: SamplerName;
  /** Paper and algorithm, for reports. */
  readonly reference: string;
  /** Strict schema of the options object. */
  readonly schema: v.GenericSchema;
  /** Same signature for all; options are validated against `schema` inside. */
  readonly sample: Sampler<unknown>;
}

/** All samplers by name; the options type is erased here, every sampler validates its own. */
export const samplers: Readonly<Record<SamplerName, SamplerEntry>> = {
  ddpm: {
    name: "ddpm",
    reference: "Ho et al. 2020, Algorithm 2 (ancestral, posterior variance)",
    schema: DdpmOptionsSchema,
    sample: (d, x, s, o, c, cb) => sampleDdpm(d, x, s, o as DdpmOptions, c, cb),
  },
  ddim: {
    name: "ddim",
    reference: "Song et al. 2021, eq. 12 and 16",
    schema: DdimOptionsSchema,
    sample: (d, x, s, o, c, cb) => sampleDdim(d, x, s, o as DdimOptions, c, cb),
  },
  "dpmpp-2m": {
    name: "dpmpp-2m",
    reference: "Lu et al. 2022, DPM-Solver++ Algorithm 2",
    schema: Dpmpp2mOptionsSchema,
    sample: (d, x, s, o, c, cb) => sampleDpmpp2m(d, x, s, o as Dpmpp2mOptions, c, cb),
  },
  heun: {
    name: "heun",
    reference: "Karras et al. 2022 (EDM), Algorithm 1, S_churn = 0",
    schema: HeunOptionsSchema,
    sample: (d, x, s, o, c, cb) => sampleHeun(d, x, s, o as HeunOptions, c, cb),
  },
};

/** The registry entry for `name`; an unknown name is a `DiffusionConfigError` listing the known ones. */
export function getSampler(name: string): SamplerEntry {
  if (!Object.hasOwn(samplers, name)) {
    throw new DiffusionConfigError("sampler", [
      {
        field: "sampler",
        message: `unknown sampler "${name}", expected one of ${SAMPLER_NAMES.join(", ")}`,
      },
    ]);
  }
  return samplers[name as SamplerName];
}

/** Runs sampler `name` (validated name and options): the entry point for sweeps over samplers. */
export function sample(
  name: string,
  denoiser: Denoiser,
  xT: tf.Tensor,
  schedule: Schedule,
  options: unknown,
  cond?: tf.Tensor,
  callback?: StepCallback,
): tf.Tensor {
  return getSampler(name).sample(denoiser, xT, schedule, options, cond, callback);
}

// ---- private helpers ----

function levelsFor(
  schedule: Schedule,
  o: { steps: number; spacing?: (typeof SPACINGS)[number] | undefined; rho?: number | undefined },
): Level[] {
  const spacing = o.spacing ?? "trailing";
  if (o.rho !== undefined && spacing !== "karras") {
    throw new DiffusionConfigError("sampler options", [
      { field: "rho", message: `rho applies only to the karras spacing, not "${spacing}"` },
    ]);
  }
  return samplingTimesteps(schedule, o.steps, spacing, o.rho).map((t) => ({
    t,
    ...coefAt(schedule, t),
  }));
}

/** λ = log(α/σ), half the log-SNR: DPM-Solver's time variable. */
function lambda(level: Level): number {
  return Math.log(level.alpha) - Math.log(level.sigma);
}

/**
 * Runs `step` from each level to the next (the last to CLEAN), each inside `tf.tidy`, disposing
 * the previous state; `step` returns the next state and the x̂_0 it used, which `callback` sees.
 * Returns the final state, owned by the caller; `xT` is never disposed.
 */
function walk(
  xT: tf.Tensor,
  levels: readonly Level[],
  callback: StepCallback | undefined,
  step: (x: tf.Tensor, cur: Level, next: Level) => [next: tf.Tensor, denoised: tf.Tensor],
): tf.Tensor {
  if (xT.rank < 1 || xT.dtype !== "float32") {
    throw new RangeError(
      `xT must be a float32 tensor with a batch axis, got ${xT.dtype} [${xT.shape}]`,
    );
  }
  let x = xT;
  try {
    for (let i = 0; i < levels.length; i++) {
      const cur = levels[i]!;
      const next = levels[i + 1] ?? CLEAN;
      const xNext = tf.tidy(() => {
        const [xn, denoised] = step(x, cur, next);
        callback?.({ i, steps: levels.length, ...cur, x, denoised });
        return xn;
      });
      if (x !== xT) x.dispose();
      x = xNext;
    }
  } catch (error) {
    if (x !== xT) x.dispose();
    throw error;
  }
  // One step always runs (steps ≥ 1), so x is a new tensor; clone only in the impossible case.
  return x === xT ? xT.clone() : x;
}
