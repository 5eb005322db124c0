/**
 * The forward process and the draws a training step needs: q(x_t | x_0) (Ho et al. 2020, eq. 4),
 * x_t = α_t·x_0 + σ_t·ε; per-sample coefficient tensors; uniform timestep draws and Gaussian
 * noise from the seeded `Rng` (so that every training arm sees identical t and ε).
 *
 * Timesteps are given per sample as JS numbers (Int32Array, number[]) or a rank-1 tensor; tensor
 * timesteps are read back to JS (B numbers) so that integer and fractional t go through the same
 * `coefAt` and no gather tables need caching. Nothing here keeps tensors alive.
 */
import { tf } from "../tensor/tf.ts";
import type { Rng } from "./rng.ts";
import { coefAt, type Schedule } from "./schedules.ts";

/** Per-sample timesteps: integers index the table, fractional values interpolate (`coefAt`). */
export type Timesteps = Int32Array | Float32Array | Float64Array | readonly number[] | tf.Tensor;

/** Timesteps as a JS array, checking that there is one per sample when `batch` is given. */
export function timestepValues(t: Timesteps, batch?: number): ArrayLike<number> {
  let values: ArrayLike<number>;
  if (t instanceof tf.Tensor) {
    if (t.rank !== 1) {
      throw new RangeError(`timestep tensor must be rank 1 [B], got shape [${t.shape}]`);
    }
    // allow-listed synchronous read: timesteps are a few numbers the caller built on the host;
    // library code passes arrays (a timestep tensor already on a GPU would throw under Deno)
    values = t.dataSync();
  } else {
    values = t;
  }
  if (batch !== undefined && values.length !== batch) {
    throw new RangeError(`expected ${batch} timesteps (one per sample), got ${values.length}`);
  }
  return values;
}

/**
 * α_t and σ_t per sample as float32 tensors of shape [B, 1, …, 1] (rank `rank`), ready to
 * broadcast against a [B, …] batch. The caller disposes them.
 */
export function timestepCoefs(
  schedule: Schedule,
  t: Timesteps,
  rank: number,
): { alpha: tf.Tensor; sigma: tf.Tensor } {
  const values = timestepValues(t);
  const n = values.length;
  const alpha = new Float32Array(n);
  const sigma = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = coefAt(schedule, values[i]!);
    alpha[i] = c.alpha;
    sigma[i] = c.sigma;
  }
  const shape = [n, ...new Array<number>(Math.max(rank - 1, 0)).fill(1)];
  return { alpha: tf.tensor(alpha, shape), sigma: tf.tensor(sigma, shape) };
}

/** q(x_t | x_0): x_t = α_t·x_0 + σ_t·ε, t per sample along the batch axis. */
export function qSample(
  x0: tf.Tensor,
  eps: tf.Tensor,
  t: Timesteps,
  schedule: Schedule,
): tf.Tensor {
  if (!sameShape(x0.shape, eps.shape)) {
    throw new RangeError(`qSample: x0 [${x0.shape}] and eps [${eps.shape}] differ in shape`);
  }
  timestepValues(t, x0.shape[0]);
  return tf.tidy(() => {
    const { alpha, sigma } = timestepCoefs(schedule, t, x0.rank);
    return tf.add(tf.mul(x0, alpha), tf.mul(eps, sigma));
  });
}

/** Inclusive bounds on drawn timesteps, e.g. DMD's [0.02T, 0.98T] as `{ min: 20, max: 980 }`. */
export interface TimestepRange {
  readonly min?: number;
  readonly max?: number;
}

/**
 * `n` integer timesteps uniform on {min, …, max} (default {0, …, T-1}), from `rng`. Uniform t is
 * what DDPM's simple loss and the Min-SNR paper use; weighting happens in the loss, not here.
 */
export function sampleTimesteps(
  rng: Rng,
  n: number,
  schedule: Schedule,
  range: TimestepRange = {},
): Int32Array {
  const min = range.min ?? 0;
  const max = range.max ?? schedule.T - 1;
  if (
    !Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max > schedule.T - 1 || min > max
  ) {
    throw new RangeError(
      `timestep range must be integers 0 ≤ min ≤ max ≤ ${schedule.T - 1}, got [${min}, ${max}]`,
    );
  }
  return rng.integers(n, min, max + 1);
}

/** A float32 tensor of standard normal noise of `shape` from `rng` (deterministic, any backend). */
export function noiseLike(rng: Rng, shape: readonly number[]): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(rng.normal(size), [...shape]);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
