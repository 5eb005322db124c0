/**
 * The one family of seeded generators every part of diffrun draws from, so the same seed gives
 * the same numbers on every backend and machine. Not cryptographic.
 *
 * - splitmix32 (a 32-bit variant of Steele et al.'s SplitMix): expands a seed into a state, and is
 *   a small stream of its own (evaluation triples);
 * - xoshiro128** (Blackman & Vigna, "Scrambled linear pseudorandom number generators", 2021):
 *   the main generator, 128-bit state seeded by splitmix32 so that nearby seeds give unrelated
 *   streams; src/data/rng.ts and src/diffusion/rng.ts seed it and shape its floats;
 * - mulberry32: a one-word generator for parameter initialisation and sweep points;
 * - FNV-1a: turns labels into 32-bit seeds.
 */

/** The splitmix32 output function (finaliser): a 32-bit mix of `x`. */
export function mix32(x: number): number {
  let z = x | 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/** One splitmix32 step: advances `state.x` and returns the next uint32. */
export function splitmix32(state: { x: number }): number {
  state.x = (state.x + 0x9e3779b9) | 0;
  return mix32(state.x);
}

/** A splitmix32 stream from a 32-bit seed: `next()` gives uint32, `float()` [0, 1) in 32 bits. */
export function splitmixStream(seed: number): { next(): number; float(): number } {
  const state = { x: seed | 0 };
  const next = () => splitmix32(state);
  return { next, float: () => next() / 2 ** 32 };
}

/** FNV-1a over UTF-16 code units: turns a label into 32 bits (`basis` chains labels). */
export function fnv1a(text: string, basis = 0x811c9dc5): number {
  let h = basis >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** mulberry32: a deterministic uniform [0, 1) generator with one word of state. */
export const mulberry32 = (seed: number): () => number => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** A snapshot of a xoshiro128** generator, e.g. to store in a checkpoint and resume the stream. */
export type XoshiroState = readonly [number, number, number, number];

/** Four splitmix32 outputs from `seed`: a xoshiro128** state. */
export const xoshiroState = (seed: number): XoshiroState => {
  const s = { x: seed | 0 };
  return [splitmix32(s), splitmix32(s), splitmix32(s), splitmix32(s)];
};

/** xoshiro128**: the raw 32-bit stream and the draws both float conventions share. */
export class Xoshiro128 {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  constructor(state: XoshiroState) {
    [this.#s0, this.#s1, this.#s2, this.#s3] = state;
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) {
      // The all-zero state is the one fixed point of xoshiro: it would output zeros forever.
      throw new RangeError("rng state must not be all zeros");
    }
  }

  /** Next raw 32-bit output as an unsigned integer. */
  nextUint32(): number {
    const s1 = this.#s1;
    const mul5 = Math.imul(s1, 5);
    const result = Math.imul((mul5 << 7) | (mul5 >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= this.#s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = (this.#s3 << 11) | (this.#s3 >>> 21);
    return result;
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

  /** The current state; a generator built from it continues the same stream. */
  state(): XoshiroState {
    return [this.#s0, this.#s1, this.#s2, this.#s3];
  }
}
