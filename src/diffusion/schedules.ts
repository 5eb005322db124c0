/**
 * Noise schedules: pure functions from a config to a table over discrete t = 0..T-1 of
 * ᾱ_t (cumulative product of 1-β), α_t = √ᾱ_t, σ_t = √(1-ᾱ_t), SNR_t = α_t²/σ_t² and
 * log-SNR (the natural axis for plots). Variance preserving: α² + σ² = 1 everywhere.
 *
 * Index convention (DDPM, diffusers, improved-diffusion): table index t is the t-th noising step,
 * ᾱ_t = ∏_{i≤t} (1-β_i), so even t = 0 carries a little noise and SNR is finite everywhere unless
 * the zero-terminal-SNR rescale is on, in which case SNR(T-1) = 0 exactly (and log-SNR = -∞).
 *
 * Families: `linear` (Ho et al. 2020), `scaled-linear` (Stable Diffusion: √β linear),
 * `cosine` (Nichol & Dhariwal 2021, eq. 17), `sigmoid` (Chen 2023, "On the importance of noise
 * scheduling", Algorithm 1, discretised like cosine). This module does no tensor work.
 */
import * as v from "valibot";
import { DiffusionConfigError, parseConfig } from "./errors.ts";

export const SCHEDULE_FAMILIES = ["linear", "scaled-linear", "cosine", "sigmoid"] as const;
export type ScheduleFamily = (typeof SCHEDULE_FAMILIES)[number];

const TSchema = v.pipe(v.number(), v.integer(), v.minValue(2), v.maxValue(100_000));
const Positive = v.pipe(v.number(), v.gtValue(0), v.finite());
const BetaSchema = v.pipe(v.number(), v.gtValue(0), v.ltValue(1));
const common = {
  /** Number of discrete timesteps (default 1000). */
  T: v.optional(TSchema),
  /** Rescale √ᾱ so that SNR(T-1) = 0 exactly (Lin et al. 2023, Algorithm 1). Default false. */
  zeroTerminalSnr: v.optional(v.boolean()),
};

/** A schedule config; unknown family or unknown field is an error (strict objects). */
export const ScheduleConfigSchema = v.variant("family", [
  v.strictObject({
    family: v.literal("linear"),
    ...common,
    /** β_0, default 1e-4 (DDPM). Used as given for any T (no 1000/T rescale). */
    betaStart: v.optional(BetaSchema),
    /** β_{T-1}, default 0.02 (DDPM). */
    betaEnd: v.optional(BetaSchema),
  }),
  v.strictObject({
    family: v.literal("scaled-linear"),
    ...common,
    /** Default 0.00085 (Stable Diffusion). */
    betaStart: v.optional(BetaSchema),
    /** Default 0.012 (Stable Diffusion). */
    betaEnd: v.optional(BetaSchema),
  }),
  v.strictObject({
    family: v.literal("cosine"),
    ...common,
    /** Offset s, default 0.008 (Nichol & Dhariwal). */
    s: v.optional(Positive),
    /** β clip, default 0.999 (prevents the singularity at t = T). */
    maxBeta: v.optional(BetaSchema),
  }),
  v.strictObject({
    family: v.literal("sigmoid"),
    ...common,
    /** Sigmoid input range and temperature; defaults -3, 3, 1 (Chen 2023). */
    start: v.optional(v.pipe(v.number(), v.finite())),
    end: v.optional(v.pipe(v.number(), v.finite())),
    tau: v.optional(Positive),
    maxBeta: v.optional(BetaSchema),
  }),
]);
export type ScheduleConfig = v.InferInput<typeof ScheduleConfigSchema>;

/** A config with every default filled in: what a schedule records about itself. */
export type ResolvedScheduleConfig =
  & { readonly T: number; readonly zeroTerminalSnr: boolean }
  & (
    | {
      readonly family: "linear" | "scaled-linear";
      readonly betaStart: number;
      readonly betaEnd: number;
    }
    | { readonly family: "cosine"; readonly s: number; readonly maxBeta: number }
    | {
      readonly family: "sigmoid";
      readonly start: number;
      readonly end: number;
      readonly tau: number;
      readonly maxBeta: number;
    }
  );

export interface Schedule {
  readonly config: ResolvedScheduleConfig;
  readonly T: number;
  readonly betas: Float64Array;
  /** ᾱ_t */
  readonly alphasCumprod: Float64Array;
  /** α_t = √ᾱ_t */
  readonly alpha: Float64Array;
  /** σ_t = √(1-ᾱ_t) */
  readonly sigma: Float64Array;
  /** α_t²/σ_t² */
  readonly snr: Float64Array;
  /** ln SNR_t (-∞ where SNR = 0) */
  readonly logSnr: Float64Array;
}

/** Validates `raw` (unknown family/field → `DiffusionConfigError` naming it) and fills defaults. */
export function resolveScheduleConfig(raw: unknown): ResolvedScheduleConfig {
  const c = parseConfig("schedule config", ScheduleConfigSchema, raw);
  const T = c.T ?? 1000;
  const zeroTerminalSnr = c.zeroTerminalSnr ?? false;
  switch (c.family) {
    case "linear":
      return {
        family: c.family,
        T,
        zeroTerminalSnr,
        betaStart: c.betaStart ?? 1e-4,
        betaEnd: c.betaEnd ?? 0.02,
      };
    case "scaled-linear":
      return {
        family: c.family,
        T,
        zeroTerminalSnr,
        betaStart: c.betaStart ?? 0.00085,
        betaEnd: c.betaEnd ?? 0.012,
      };
    case "cosine":
      return { family: c.family, T, zeroTerminalSnr, s: c.s ?? 0.008, maxBeta: c.maxBeta ?? 0.999 };
    case "sigmoid": {
      const start = c.start ?? -3;
      const end = c.end ?? 3;
      if (!(end > start)) {
        throw new DiffusionConfigError("schedule config", [
          { field: "end", message: `sigmoid needs start < end, got start=${start}, end=${end}` },
        ]);
      }
      return {
        family: c.family,
        T,
        zeroTerminalSnr,
        start,
        end,
        tau: c.tau ?? 1,
        maxBeta: c.maxBeta ?? 0.999,
      };
    }
  }
}

/** The schedule a config describes (validated; see `ScheduleConfigSchema`). */
export function makeSchedule(raw: unknown): Schedule {
  const c = resolveScheduleConfig(raw);
  let betas: Float64Array;
  switch (c.family) {
    case "linear":
      betas = linspace(c.betaStart, c.betaEnd, c.T);
      break;
    case "scaled-linear":
      betas = linspace(Math.sqrt(c.betaStart), Math.sqrt(c.betaEnd), c.T).map((b) => b * b);
      break;
    case "cosine": {
      const { s, T } = c;
      betas = betasFromAlphaBar(
        (t) => Math.cos(((t / T + s) / (1 + s)) * Math.PI / 2) ** 2,
        T,
        c.maxBeta,
      );
      break;
    }
    case "sigmoid": {
      const { start, end, tau, T } = c;
      const vStart = sigmoid(start / tau);
      const vEnd = sigmoid(end / tau);
      const gamma = (t: number) =>
        (vEnd - sigmoid(((t / T) * (end - start) + start) / tau)) / (vEnd - vStart);
      betas = betasFromAlphaBar(gamma, T, c.maxBeta);
      break;
    }
  }
  const alphasCumprod = new Float64Array(c.T);
  let prod = 1;
  for (let t = 0; t < c.T; t++) {
    prod *= 1 - betas[t]!;
    alphasCumprod[t] = prod;
  }
  const table = fromAlphasCumprod(c, betas, alphasCumprod);
  return c.zeroTerminalSnr ? rescaleZeroTerminalSnr(table) : table;
}

/** `scheduleLinear(T)` etc.: the family shortcuts, same as `makeSchedule({ family, ... })`. */
export const scheduleLinear = (
  opts: Omit<Extract<ScheduleConfig, { family: "linear" }>, "family"> = {},
) => makeSchedule({ family: "linear", ...opts });
export const scheduleScaledLinear = (
  opts: Omit<Extract<ScheduleConfig, { family: "scaled-linear" }>, "family"> = {},
) => makeSchedule({ family: "scaled-linear", ...opts });
export const scheduleCosine = (
  opts: Omit<Extract<ScheduleConfig, { family: "cosine" }>, "family"> = {},
) => makeSchedule({ family: "cosine", ...opts });
export const scheduleSigmoid = (
  opts: Omit<Extract<ScheduleConfig, { family: "sigmoid" }>, "family"> = {},
) => makeSchedule({ family: "sigmoid", ...opts });

/**
 * Lin et al. 2023, "Common diffusion noise schedules are flawed", Algorithm 1: shift √ᾱ so the
 * last value is 0, then scale so the first is unchanged. Both ends are then set exactly (the
 * shift-and-scale would leave the first off by an ulp), so SNR(T-1) = 0 and ᾱ_0 is kept bit for
 * bit. Returns a new schedule with `zeroTerminalSnr: true`; β_{T-1} becomes 1.
 */
export function rescaleZeroTerminalSnr(schedule: Schedule): Schedule {
  const T = schedule.T;
  const a0 = schedule.alpha[0]!;
  const aLast = schedule.alpha[T - 1]!;
  const alphasCumprod = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    const a = ((schedule.alpha[t]! - aLast) * a0) / (a0 - aLast);
    alphasCumprod[t] = a * a;
  }
  alphasCumprod[0] = schedule.alphasCumprod[0]!;
  alphasCumprod[T - 1] = 0;
  const betas = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    betas[t] = 1 - alphasCumprod[t]! / (t === 0 ? 1 : alphasCumprod[t - 1]!);
  }
  return fromAlphasCumprod({ ...schedule.config, zeroTerminalSnr: true }, betas, alphasCumprod);
}

/** True when some t has α_t = 0 (SNR = 0): ε-prediction is undefined there. */
export function hasZeroSnr(schedule: Schedule): boolean {
  return schedule.alpha.some((a) => a === 0);
}

/** Coefficients at a possibly fractional t (see `coefAt`). */
export interface Coefs {
  readonly alpha: number;
  readonly sigma: number;
}

/**
 * α, σ at t ∈ [0, T-1]. Integer t reads the table; fractional t interpolates log-SNR linearly
 * between neighbours, which is k-diffusion's `t_to_sigma` (linear in log σ_VE = -½ log-SNR).
 * Next to a zero-SNR entry (log-SNR = -∞) it interpolates α linearly instead.
 */
export function coefAt(schedule: Schedule, t: number): Coefs {
  if (!(t >= 0 && t <= schedule.T - 1)) {
    throw new RangeError(`timestep must lie in [0, ${schedule.T - 1}], got ${t}`);
  }
  const i = Math.floor(t);
  const w = t - i;
  if (w === 0) return { alpha: schedule.alpha[i]!, sigma: schedule.sigma[i]! };
  const l0 = schedule.logSnr[i]!;
  const l1 = schedule.logSnr[i + 1]!;
  if (Number.isFinite(l0) && Number.isFinite(l1)) {
    const l = (1 - w) * l0 + w * l1;
    // α² = sigmoid(λ), σ² = sigmoid(-λ)
    return { alpha: Math.sqrt(sigmoid(l)), sigma: Math.sqrt(sigmoid(-l)) };
  }
  const alpha = (1 - w) * schedule.alpha[i]! + w * schedule.alpha[i + 1]!;
  return { alpha, sigma: Math.sqrt(1 - alpha * alpha) };
}

/** A one-line description for reports, e.g. `cosine(T=1000, s=0.008, maxBeta=0.999, zero-terminal-SNR)`. */
export function describeSchedule(schedule: Schedule): string {
  const { family, zeroTerminalSnr, ...rest } = schedule.config;
  const params = Object.entries(rest).map(([k, val]) => `${k}=${val}`);
  if (zeroTerminalSnr) params.push("zero-terminal-SNR");
  return `${family}(${params.join(", ")})`;
}

// ---- private helpers ----

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

function linspace(a: number, b: number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = a + ((b - a) * i) / (n - 1);
  return out;
}

/**
 * Nichol & Dhariwal's discretisation of a continuous ᾱ(t) = f(t)/f(0): β_i = min(1 - f(i+1)/f(i),
 * maxBeta). Unclipped, ᾱ_t = f(t+1)/f(0).
 */
function betasFromAlphaBar(f: (t: number) => number, T: number, maxBeta: number): Float64Array {
  const betas = new Float64Array(T);
  for (let i = 0; i < T; i++) betas[i] = Math.min(1 - f(i + 1) / f(i), maxBeta);
  return betas;
}

function fromAlphasCumprod(
  config: ResolvedScheduleConfig,
  betas: Float64Array,
  alphasCumprod: Float64Array,
): Schedule {
  const T = alphasCumprod.length;
  const alpha = new Float64Array(T);
  const sigma = new Float64Array(T);
  const snr = new Float64Array(T);
  const logSnr = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    const ab = alphasCumprod[t]!;
    alpha[t] = Math.sqrt(ab);
    sigma[t] = Math.sqrt(1 - ab);
    snr[t] = ab / (1 - ab);
    // log ᾱ - log(1-ᾱ) keeps precision at both ends; log(0) = -∞ at zero terminal SNR.
    logSnr[t] = Math.log(ab) - Math.log1p(-ab);
  }
  return { config, T, betas, alphasCumprod, alpha, sigma, snr, logSnr };
}
