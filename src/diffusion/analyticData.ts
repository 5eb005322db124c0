/**
 * One-dimensional data distributions whose sampler output can be checked exactly: a Gaussian
 * mixture (one component = a Gaussian) with its true mean, variance and mass below 0, its exact
 * denoiser (denoiser.ts), and `measureSampler`, which runs a sampler on it and returns the Monte
 * Carlo estimates of the same three numbers with their standard errors. Used by the sampler tests
 * and bench/samplerAccuracy.ts, so both measure the same way.
 *
 * Not here: the samplers themselves (samplers.ts) or any tolerance policy (callers state theirs).
 */
import { tf } from "../tensor/tf.ts";
import { type Denoiser, type GaussianComponent, gaussianMixtureDenoiser } from "./denoiser.ts";
import { makeRng } from "./rng.ts";
import { sample } from "./samplers.ts";
import type { Schedule } from "./schedules.ts";

/** A named 1-D data distribution Σ_k π_k·N(μ_k, s_k²). */
export interface AnalyticData {
  readonly name: string;
  readonly components: readonly GaussianComponent[];
}

/** The three numbers compared: mean, variance and P(x < 0). */
export interface Moments {
  readonly mean: number;
  readonly variance: number;
  readonly below0: number;
}

/** Sample estimates of `Moments`, with the standard error of each. */
export interface MomentEstimates extends Moments {
  readonly n: number;
  readonly se: Moments;
}

/** N(0.5, 0.3²): the data of the original sampler checks (true variance 0.09). */
export const GAUSSIAN: AnalyticData = {
  name: "gaussian",
  components: [{ weight: 1, mean: 0.5, std: 0.3 }],
};

/** 0.3·N(-0.6, 0.15²) + 0.7·N(0.4, 0.25²): two modes, a narrow one holding most of the mass below 0. */
export const MIXTURE: AnalyticData = {
  name: "mixture",
  components: [
    { weight: 0.3, mean: -0.6, std: 0.15 },
    { weight: 0.7, mean: 0.4, std: 0.25 },
  ],
};

/** Exact mean, variance and mass below 0 of `data`. */
export function trueMoments(data: AnalyticData): Moments {
  const total = data.components.reduce((s, c) => s + c.weight, 0);
  let mean = 0;
  let second = 0;
  let below0 = 0;
  for (const c of data.components) {
    const p = c.weight / total;
    mean += p * c.mean;
    second += p * (c.std * c.std + c.mean * c.mean);
    below0 += p * normalCdf(-c.mean / c.std);
  }
  return { mean, variance: second - mean * mean, below0 };
}

/** The exact denoiser of `data` under `schedule`. */
export const analyticDenoiser = (data: AnalyticData, schedule: Schedule): Denoiser =>
  gaussianMixtureDenoiser(data.components, schedule);

/**
 * Mean, variance (divisor n) and fraction below 0 of `values`, each with its standard error:
 * √(var/n) for the mean, √((m₄ - var²)/n) for the variance (m₄ the fourth central moment; the
 * delta-method SE, which for a Gaussian is var·√(2/n)), √(p(1-p)/n) for the fraction.
 */
export function estimateMoments(values: ArrayLike<number>): MomentEstimates {
  const n = values.length;
  let sum = 0;
  let below = 0;
  for (let i = 0; i < n; i++) {
    sum += values[i]!;
    if (values[i]! < 0) below++;
  }
  const mean = sum / n;
  let m2 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d2 = (values[i]! - mean) ** 2;
    m2 += d2;
    m4 += d2 * d2;
  }
  const variance = m2 / n;
  const p = below / n;
  return {
    n,
    mean,
    variance,
    below0: p,
    se: {
      mean: Math.sqrt(variance / n),
      variance: Math.sqrt(Math.max(m4 / n - variance * variance, 0) / n),
      below0: Math.sqrt(Math.max(p * (1 - p), 1 / n) / n),
    },
  };
}

/** One sampler configuration: registry name and options (a stochastic sampler gets a seed added). */
export interface SamplerCase {
  readonly sampler: string;
  readonly options: Readonly<Record<string, unknown>>;
}

/** `ddim-50`, `heun-18-karras`: how tables and test names spell a case. */
export const caseLabel = (c: SamplerCase): string =>
  `${c.sampler}-${c.options.steps}${c.options.spacing ? `-${c.options.spacing}` : ""}`;

/**
 * Runs sampler case `c` on `n` draws of x_T ~ N(0, 1) (from `seed`; DDPM's noise from seed + 1)
 * with the exact denoiser of `data`, and estimates the moments of the samples.
 */
export function measureSampler(
  c: SamplerCase,
  data: AnalyticData,
  schedule: Schedule,
  n: number,
  seed: number,
): MomentEstimates {
  const options = c.sampler === "ddpm" ? { ...c.options, seed: seed + 1 } : c.options;
  const xT = tf.tensor2d(makeRng(seed).normal(n), [n, 1]);
  const out = sample(c.sampler, analyticDenoiser(data, schedule), xT, schedule, options);
  const values = out.dataSync();
  tf.dispose([xT, out]);
  return estimateMoments(values);
}

/** Φ(x), the standard normal CDF. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** erfc(x) by Numerical Recipes' Chebyshev fit (fractional error below 1.2e-7 everywhere). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(
    -z * z - 1.26551223 +
      t * (1.00002368 +
          t * (0.37409196 +
              t * (0.09678418 +
                  t * (-0.18628806 +
                      t * (0.27886807 +
                          t *
                            (-1.13520398 +
                              t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
  );
  return x >= 0 ? r : 2 - r;
}
