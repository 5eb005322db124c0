/**
 * Which timesteps a sampler visits: `steps` values in [0, T-1], strictly decreasing. After the
 * last one every sampler steps to the clean level (α = 1, σ = 0) and returns x̂_0 there, like
 * diffusers' DDIM with `set_alpha_to_one`.
 *
 * Spacings (names as in diffusers; Lin et al. 2023 §3.3 and Table 2 compare them):
 * - `trailing`: round(T - i·T/steps) - 1, i = 0..steps-1; always starts at T-1, so x_T ~ N(0, I)
 *   is the right start. The default, and the one to use with zero terminal SNR.
 * - `leading`: (steps-1-i)·⌊T/steps⌋; ends at t = 0 but starts below T-1 (e.g. 980 for 50
 *   steps), while samplers still start from unit-variance noise: the flaw Lin et al. point out.
 * - `linspace`: round(linspace(0, T-1, steps)), reversed; covers both ends.
 * - `karras`: Karras et al. 2022 ("EDM"), eq. 5 with ρ (default 7) between the schedule's
 *   σ_VE = σ/α at t = 0 and t = T-1, mapped back to fractional t by log-SNR interpolation
 *   (`coefAt`). When σ_VE(T-1) exceeds EDM's σ_max = 80 (`EDM_SIGMA_MAX`; every VP schedule
 *   here), the ρ-grid runs from 80 instead and T-1 is visited first, so x_T ~ N(0, I) still
 *   starts at T-1 and one step brings it to σ_VE = 80; a grid from σ_VE(T-1) ≈ 2·10⁴ would spend
 *   most steps above 80 and leave too few where the data take shape. Needs a finite σ_VE at
 *   T-1, so not with zero terminal SNR.
 */
import { DiffusionConfigError } from "./errors.ts";
import type { Schedule } from "./schedules.ts";

/**
 * EDM's σ_max (Karras et al. 2022, Table 1): the highest σ_VE = σ/α its ρ-spacing and its
 * second-order steps are used from. VP schedules reach far higher at t = T-1 (cosine ≈ 2·10⁴);
 * see docs/methods.md#samplers.
 */
export const EDM_SIGMA_MAX = 80;

export const SPACINGS = ["trailing", "leading", "linspace", "karras"] as const;
export type Spacing = (typeof SPACINGS)[number];

/** The decreasing timesteps a `steps`-step sampler visits under `spacing`. */
export function samplingTimesteps(
  schedule: Schedule,
  steps: number,
  spacing: Spacing,
  rho = 7,
): number[] {
  const T = schedule.T;
  if (!Number.isInteger(steps) || steps < 1 || steps > T) {
    throw new DiffusionConfigError("sampler options", [
      {
        field: "steps",
        message: `steps must be an integer in [1, ${T}] for a T=${T} schedule, got ${steps}`,
      },
    ]);
  }
  const idx = Array.from({ length: steps }, (_, i) => i);
  let ts: number[];
  switch (spacing) {
    case "trailing":
      ts = idx.map((i) => roundHalfEven(T - (i * T) / steps) - 1);
      break;
    case "leading": {
      const ratio = Math.floor(T / steps);
      ts = idx.map((i) => (steps - 1 - i) * ratio);
      break;
    }
    case "linspace":
      ts = idx.map((i) =>
        roundHalfEven(steps === 1 ? 0 : ((T - 1) * (steps - 1 - i)) / (steps - 1))
      );
      break;
    case "karras":
      ts = karrasTimesteps(schedule, steps, rho);
      break;
    default:
      throw new DiffusionConfigError("sampler options", [
        {
          field: "spacing",
          message: `unknown spacing "${spacing}", expected one of ${SPACINGS.join(", ")}`,
        },
      ]);
  }
  for (let i = 1; i < ts.length; i++) {
    if (!(ts[i]! < ts[i - 1]!)) {
      throw new DiffusionConfigError("sampler options", [
        {
          field: "steps",
          message: `${spacing} spacing with ${steps} steps repeats timestep ${ts[i]}`,
        },
      ]);
    }
  }
  return ts;
}

/** numpy's round (half to even), so that spacings match diffusers' tables. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function karrasTimesteps(schedule: Schedule, steps: number, rho: number): number[] {
  const T = schedule.T;
  if (!(rho > 0 && Number.isFinite(rho))) {
    throw new DiffusionConfigError("sampler options", [{
      field: "rho",
      message: `rho must be > 0, got ${rho}`,
    }]);
  }
  const lMax = schedule.logSnr[0]!;
  const lMin = schedule.logSnr[T - 1]!;
  if (!Number.isFinite(lMin)) {
    throw new DiffusionConfigError("sampler options", [{
      field: "spacing",
      message:
        "karras spacing needs a finite σ_max, but the schedule has zero terminal SNR; use trailing",
    }]);
  }
  if (steps === 1) return [T - 1];
  // σ_VE = exp(-λ/2); the ρ-grid runs from min(σ_VE(T-1), EDM_SIGMA_MAX) down to σ_VE(0)
  const sMin = Math.exp(-lMax / 2);
  const sTop = Math.exp(-lMin / 2);
  const clamped = sTop > EDM_SIGMA_MAX;
  // clamped: T-1 first (where x_T ~ N(0, I) belongs), then steps - 1 grid points from σ_max = 80
  const grid = karrasSigmas(clamped ? steps - 1 : steps, clamped ? EDM_SIGMA_MAX : sTop, sMin, rho);
  const ts = grid.map((sigma) => timestepForLogSnr(schedule, -2 * Math.log(sigma)));
  if (clamped) ts.unshift(T - 1);
  ts[0] = T - 1;
  ts[ts.length - 1] = 0;
  return ts;
}

/** EDM eq. 5: `count` levels (ρ-th-root spacing) from `hi` down to `lo`, both included. */
function karrasSigmas(count: number, hi: number, lo: number, rho: number): number[] {
  if (count === 1) return [lo];
  const a = hi ** (1 / rho);
  const b = lo ** (1 / rho);
  return Array.from({ length: count }, (_, i) => (a + (i / (count - 1)) * (b - a)) ** rho);
}

/** The fractional t whose interpolated log-SNR is `lambda` (log-SNR decreases with t). */
function timestepForLogSnr(schedule: Schedule, lambda: number): number {
  const l = schedule.logSnr;
  let lo = 0;
  let hi = schedule.T - 1;
  if (lambda >= l[lo]!) return lo;
  if (lambda <= l[hi]!) return hi;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (l[mid]! >= lambda) lo = mid;
    else hi = mid;
  }
  return lo + (l[lo]! - lambda) / (l[lo]! - l[hi]!);
}
