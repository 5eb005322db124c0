/**
 * The data layer's seeded generator: shuffling, splits and the procedural dataset draw from it,
 * so the same seed gives the same batches and images on every machine.
 *
 * xoshiro128** from src/random/seeded.ts, seeded from integer parts (a seed and e.g. an epoch or
 * an index) and giving 32-bit floats. Its streams are separate from the diffusion core's on
 * purpose: data order must not change when the noise code changes its draws.
 */
import { splitmix32, Xoshiro128 } from "../random/seeded.ts";

export { splitmix32 };

/** Mixes a list of non-negative integers (a seed and e.g. an epoch or index) into 32 bits. */
export function mixSeed(...parts: readonly number[]): number {
  const s = { x: 0x243f6a88 };
  let h = 0;
  for (const p of parts) {
    if (!Number.isSafeInteger(p) || p < 0) {
      throw new RangeError(`seed parts must be non-negative safe integers, got ${p}`);
    }
    // Fold both 32-bit halves, so seeds above 2^32 are not silently truncated.
    s.x = (s.x ^ h ^ (p >>> 0)) | 0;
    h = splitmix32(s);
    s.x = (s.x ^ Math.floor(p / 0x100000000)) | 0;
    h = splitmix32(s) ^ h;
  }
  return h >>> 0;
}

const seededState = (seed: number, parts: readonly number[]) => {
  const s = { x: mixSeed(seed, ...parts) };
  const state = [splitmix32(s), splitmix32(s), splitmix32(s), splitmix32(s)] as const;
  // the all-zero state is a fixed point: replace it by the nearest valid one
  return (state[0] | state[1] | state[2] | state[3]) === 0 ? [1, 0, 0, 0] as const : state;
};

export class Rng extends Xoshiro128 {
  /** A generator for `seed` (a non-negative safe integer); extra parts are mixed in. */
  constructor(seed: number, ...parts: readonly number[]) {
    super(seededState(seed, parts));
  }

  /** A float in [0, 1) with 32 random bits. */
  nextFloat(): number {
    return this.nextUint32() / 0x100000000;
  }

  /** A float uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.nextFloat();
  }
}
