/**
 * The data layer's seeded PRNG: shuffling, splits and the procedural dataset draw from it, so the
 * same seed gives the same batches and images on every machine.
 *
 * Generator: xoshiro128** (Blackman & Vigna, "Scrambled linear pseudorandom number generators",
 * 2021), 128-bit state seeded by splitmix32 so that nearby seeds give unrelated streams. Not
 * cryptographic. Kept separate from the diffusion core's generator on purpose: data order must not
 * change when the noise code changes its draws.
 */

/** splitmix32 step (a 32-bit variant of SplitMix): used to expand a seed into a state. */
export function splitmix32(state: { x: number }): number {
  state.x = (state.x + 0x9e3779b9) | 0;
  let z = state.x;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

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

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** A generator for `seed` (a non-negative safe integer); extra parts are mixed in. */
  constructor(seed: number, ...parts: readonly number[]) {
    const s = { x: mixSeed(seed, ...parts) };
    this.#a = splitmix32(s);
    this.#b = splitmix32(s);
    this.#c = splitmix32(s);
    this.#d = splitmix32(s);
    if ((this.#a | this.#b | this.#c | this.#d) === 0) this.#a = 1; // all-zero state is a fixed point
  }

  /** Next 32-bit output as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#b, 5), 7), 9);
    const t = this.#b << 9;
    this.#c ^= this.#a;
    this.#d ^= this.#b;
    this.#b ^= this.#c;
    this.#a ^= this.#d;
    this.#c ^= t;
    this.#d = rotl(this.#d, 11);
    return result >>> 0;
  }

  /** A float in [0, 1) with 32 random bits. */
  nextFloat(): number {
    return this.nextUint32() / 0x100000000;
  }

  /** A float uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.nextFloat();
  }

  /** An integer uniform in [0, n), without modulo bias (n ≤ 2^32). */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 0x100000000) {
      throw new RangeError(`nextInt: n must be an integer in [1, 2^32], got ${n}`);
    }
    const limit = 0x100000000 - (0x100000000 % n); // reject the incomplete last block
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Shuffles `array` in place (Fisher–Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: number }>(array: T): T {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const t = array[i] as number;
      array[i] = array[j] as number;
      array[j] = t;
    }
    return array;
  }

  /** A uniformly random permutation of 0..n-1. */
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }
}
