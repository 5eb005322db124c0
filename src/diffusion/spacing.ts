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
 *   (`coefAt`). Needs a finite σ_VE at T-1, so not with zero terminal SNR.
 */
import { DiffusionConfigError } from "./errors.ts";
import type { Schedule } from "./schedules.ts";

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
  // σ_VE = exp(-λ/2)
  const sMin = Math.exp(-lMax / 2) ** (1 / rho);
  const sMax = Math.exp(-lMin / 2) ** (1 / rho);
  const ts: number[] = [];
  for (let i = 0; i < steps; i++) {
    if (i === 0) ts.push(T - 1);
    else if (i === steps - 1) ts.push(0);
    else {
      const sigma = (sMax + (i / (steps - 1)) * (sMin - sMax)) ** rho;
      ts.push(timestepForLogSnr(schedule, -2 * Math.log(sigma)));
    }
  }
  return ts;
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
