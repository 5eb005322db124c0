/**
 * A small deterministic PRNG for everything the diffusion core draws: timesteps, training noise,
 * sampler noise. Same seed → same numbers on every backend and machine, which is what lets the
 * training arms of a study share identical t draws and noise (tf.random* depends on backend).
 *
 * Generator: xoshiro128** from src/random/seeded.ts, seeded from a seed and a path of labels,
 * giving 53-bit floats. Normals use the Box–Muller transform. Not cryptographic; not for anything
 * but experiments.
 */
import { fnv1a, Xoshiro128, type XoshiroState, xoshiroState } from "../random/seeded.ts";

/** A snapshot of a generator, e.g. to store in a checkpoint and resume the exact stream. */
export type RngState = XoshiroState;

export interface Rng {
  /** Next raw 32-bit output as an unsigned integer. */
  nextUint32(): number;
  /** Next float in [0, 1) with 53 random bits. */
  nextFloat(): number;
  /** `n` floats uniform in [lo, hi) (default [0, 1)). */
  uniform(n: number, lo?: number, hi?: number): Float32Array;
  /**
   * `n` normal draws (Box–Muller). Each call consumes ⌈n/2⌉ pairs of floats and keeps no spare,
   * so a stream depends only on the sequence of calls and their sizes.
   */
  normal(n: number, mean?: number, std?: number): Float32Array;
  /** `n` integers uniform in [lo, hi). */
  integers(n: number, lo: number, hi: number): Int32Array;
  /** The current state; `rngFromState(rng.state())` continues the same stream. */
  state(): RngState;
  /** An independent generator derived from this one's seed path and `label` (does not advance this one). */
  fork(label: string): Rng;
}

function checkSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`rng seed must be a non-negative safe integer, got ${seed}`);
  }
}

/**
 * A new seed from `seed` and a path of labels, e.g. `deriveSeed(7, "timesteps")`. Use it to give
 * each purpose its own stream so that adding draws for one purpose never shifts another.
 */
export function deriveSeed(seed: number, ...labels: string[]): number {
  checkSeed(seed);
  let h = fnv1a(`${Math.floor(seed / 2 ** 32)}:${seed >>> 0}`);
  for (const label of labels) h = fnv1a(`/${label}`, h);
  return h;
}

class DiffusionRng extends Xoshiro128 implements Rng {
  constructor(state: RngState, readonly seedPath: string) {
    super(state);
  }

  nextFloat(): number {
    // 27 + 26 bits, the standard construction of a 53-bit double in [0, 1).
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  uniform(n: number, lo = 0, hi = 1): Float32Array {
    checkCount(n);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * this.nextFloat();
    return out;
  }

  normal(n: number, mean = 0, std = 1): Float32Array {
    checkCount(n);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      // 1 - u lies in (0, 1], so the log is finite.
      const r = Math.sqrt(-2 * Math.log(1 - this.nextFloat()));
      const theta = 2 * Math.PI * this.nextFloat();
      out[i] = mean + std * r * Math.cos(theta);
      if (i + 1 < n) out[i + 1] = mean + std * r * Math.sin(theta);
    }
    return out;
  }

  integers(n: number, lo: number, hi: number): Int32Array {
    checkCount(n);
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi <= lo) {
      throw new RangeError(`rng integers needs integers lo < hi, got [${lo}, ${hi})`);
    }
    const out = new Int32Array(n);
    // Bias of floor(u·range) is below range/2^53: negligible for timestep ranges.
    for (let i = 0; i < n; i++) out[i] = lo + Math.floor(this.nextFloat() * (hi - lo));
    return out;
  }

  fork(label: string): Rng {
    const path = `${this.seedPath}/${label}`;
    return seeded(fnv1a(path), path);
  }
}

function checkCount(n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`rng draw count must be ≥ 0, got ${n}`);
}

function seeded(seed: number, path: string): Rng {
  const folded = (seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32), 0x85ebca6b);
  return new DiffusionRng(xoshiroState(folded), path);
}

/** A generator for `seed` (a non-negative safe integer). */
export function makeRng(seed: number): Rng {
  checkSeed(seed);
  return seeded(seed, `seed:${seed}`);
}

/**
 * A generator continuing from a `state()` snapshot. Its `fork` labels hang off the snapshot,
 * not off the original seed path (the path is not part of the state).
 */
export function rngFromState(state: RngState): Rng {
  if (state.length !== 4 || state.some((w) => !Number.isInteger(w))) {
    throw new RangeError(`rng state must be 4 integers, got ${JSON.stringify(state)}`);
  }
  return new DiffusionRng(
    [state[0] | 0, state[1] | 0, state[2] | 0, state[3] | 0],
    `state:${state.join(",")}`,
  );
}
