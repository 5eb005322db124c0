/**
 * The per-timestep-bin loss view of Min-SNR (Hang et al., Fig. 6; docs/methods.md#weightings): mean
 * unweighted loss in `bins` equal-width timestep bins over [0, T), and the fixed evaluation set that
 * makes the view comparable across arms: `evalTriples` picks, deterministically from a seed, which
 * eval image, which t and which noise seed each evaluation sample uses, so every arm is measured on
 * exactly the same (x₀, ε, t) triples.
 *
 * Not here: computing the losses (the caller runs its model on the triples), schedules (map bin
 * edges to log-SNR with `src/diffusion/schedules.ts` for plots), drawing ε itself: the caller makes
 * ε_i from `noiseSeed[i]`, e.g. `makeRng(noiseSeed[i]).normal(h * w * c)` from `src/diffusion/rng.ts`.
 */
import { checkFinite, checkInt, type FloatArray, MetricsInputError } from "./errors.ts";
import { mix32, splitmixStream } from "../random/seeded.ts";

/** Mean loss per equal-width timestep bin. */
export interface TimestepBins {
  readonly T: number;
  readonly bins: number;
  /** [bins + 1] bin b holds bin edges[b] ≤ t < edges[b + 1]; edges[0] = 0, edges[bins] = T. */
  readonly binEdges: Float64Array;
  /** [bins] mean loss of each bin; NaN where a bin is empty (JSON writes it as null). */
  readonly meanLoss: Float64Array;
  /** [bins] number of samples in each bin. */
  readonly count: Int32Array;
}

function checkBinning(op: string, T: number, bins: number): void {
  checkInt(op, "T", T, 1);
  checkInt(op, "number of bins", bins, 1);
  if (bins > T) throw new MetricsInputError(op, `${bins} bins exceed T = ${T} timesteps`);
}

/** The bin (0..bins-1) of timestep t ∈ [0, T): ⌊t · bins / T⌋. */
export function timestepBin(t: number, T: number, bins: number): number {
  if (!(t >= 0 && t < T)) {
    throw new MetricsInputError("bin a timestep", `timestep ${t} outside [0, ${T})`);
  }
  return Math.min(bins - 1, Math.floor((t * bins) / T));
}

/**
 * Streams (loss, t) pairs batch by batch into equal-width timestep bins. `add` as often as needed,
 * then `result()`; a mutable helper kept local to the caller's evaluation loop.
 */
export class TimestepBinAccumulator {
  readonly #sum: Float64Array;
  readonly #count: Int32Array;

  constructor(readonly T: number, readonly bins: number) {
    checkBinning("bin losses by timestep", T, bins);
    this.#sum = new Float64Array(bins);
    this.#count = new Int32Array(bins);
  }

  /** Adds per-sample `losses` drawn at `timesteps` (same length; t ∈ [0, T), integer or not). */
  add(losses: FloatArray | readonly number[], timesteps: ArrayLike<number>): void {
    const op = "bin losses by timestep";
    if (losses.length !== timesteps.length) {
      throw new MetricsInputError(
        op,
        `${losses.length} losses but ${timesteps.length} timesteps`,
      );
    }
    checkFinite(op, "losses", losses);
    const bins = new Int32Array(losses.length);
    for (let i = 0; i < losses.length; i++) {
      bins[i] = timestepBin(timesteps[i]!, this.T, this.bins);
    }
    for (let i = 0; i < losses.length; i++) {
      const b = bins[i]!;
      this.#sum[b] = this.#sum[b]! + losses[i]!;
      this.#count[b] = this.#count[b]! + 1;
    }
  }

  result(): TimestepBins {
    const binEdges = new Float64Array(this.bins + 1);
    for (let b = 0; b <= this.bins; b++) binEdges[b] = (b * this.T) / this.bins;
    const meanLoss = new Float64Array(this.bins);
    for (let b = 0; b < this.bins; b++) {
      const c = this.#count[b]!;
      meanLoss[b] = c === 0 ? NaN : this.#sum[b]! / c;
    }
    return { T: this.T, bins: this.bins, binEdges, meanLoss, count: this.#count.slice() };
  }
}

/** Mean of `losses` per equal-width timestep bin over [0, T) (see `TimestepBins`). */
export function binLossesByTimestep(
  losses: FloatArray | readonly number[],
  timesteps: ArrayLike<number>,
  T: number,
  bins: number,
): TimestepBins {
  const acc = new TimestepBinAccumulator(T, bins);
  acc.add(losses, timesteps);
  return acc.result();
}

// ---------------------------------------------------------------------------------------------
// The fixed evaluation set

/** How `evalTriples` draws t: stratified (one t per 1/n slice of [0, T), shuffled) or i.i.d. uniform. */
export type TimestepDraw = "stratified" | "uniform";

/** A fixed set of `n` evaluation triples, as parallel arrays. */
export interface EvalTriples {
  readonly n: number;
  readonly T: number;
  readonly seed: number;
  readonly numImages: number;
  readonly timesteps: TimestepDraw;
  /** [n] index into the eval images; distinct while n ≤ numImages, then each image reused evenly. */
  readonly index: Int32Array;
  /** [n] integer timesteps in [0, T). */
  readonly t: Int32Array;
  /** [n] 32-bit seed of each triple's noise ε; noiseSeed[i] depends only on (seed, i). */
  readonly noiseSeed: Uint32Array;
}

/** A 32-bit stream seed from a safe-integer seed and a purpose tag, so purposes never share draws. */
function streamSeed(seed: number, purpose: number): number {
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 2 ** 32) >>> 0;
  return mix32(mix32(lo ^ mix32(hi + 0x632be5ab)) ^ Math.imul(purpose, 0x85ebca6b));
}

const PURPOSE_INDEX = 1;
const PURPOSE_T = 2;
const PURPOSE_T_ORDER = 3;
const PURPOSE_NOISE = 4;

/** In-place Fisher–Yates shuffle with the given stream. */
function shuffle(a: Int32Array, rng: { float(): number }): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng.float() * (i + 1));
    const tmp = a[i]!;
    a[i] = a[j]!;
    a[j] = tmp;
  }
}

/**
 * `n` deterministic evaluation triples (image index, t, noise seed) for a diffusion model with `T`
 * timesteps, from `seed` (a non-negative safe integer). Same arguments → same triples, on every
 * machine. `numImages` (default n) is the size of the eval image set; images are a seeded
 * permutation, cycled when n > numImages. Timesteps are stratified by default: every 1/n slice of
 * [0, T) gets one t, so equal-width bins get equal counts (± 1) and bin means have low variance.
 */
export function evalTriples(
  n: number,
  T: number,
  seed: number,
  options: { readonly numImages?: number; readonly timesteps?: TimestepDraw } = {},
): EvalTriples {
  const op = "build evaluation triples";
  checkInt(op, "number of triples", n, 1);
  checkInt(op, "T", T, 1);
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new MetricsInputError(op, `seed must be a non-negative safe integer, got ${seed}`);
  }
  const numImages = options.numImages ?? n;
  checkInt(op, "number of eval images", numImages, 1);
  const timesteps = options.timesteps ?? "stratified";
  if (timesteps !== "stratified" && timesteps !== "uniform") {
    throw new MetricsInputError(op, `unknown timestep draw "${timesteps}" (stratified, uniform)`);
  }

  // Images: one seeded permutation of all eval images, cycled.
  const perm = new Int32Array(numImages);
  for (let i = 0; i < numImages; i++) perm[i] = i;
  shuffle(perm, splitmixStream(streamSeed(seed, PURPOSE_INDEX)));
  const index = new Int32Array(n);
  for (let i = 0; i < n; i++) index[i] = perm[i % numImages]!;

  // Timesteps.
  const tRng = splitmixStream(streamSeed(seed, PURPOSE_T));
  const t = new Int32Array(n);
  if (timesteps === "uniform") {
    for (let i = 0; i < n; i++) t[i] = Math.min(T - 1, Math.floor(tRng.float() * T));
  } else {
    for (let i = 0; i < n; i++) t[i] = Math.min(T - 1, Math.floor(((i + tRng.float()) * T) / n));
    shuffle(t, splitmixStream(streamSeed(seed, PURPOSE_T_ORDER)));
  }

  // Noise seeds: a hash of (seed, i), so a longer set extends a shorter one's noise.
  const noiseBase = streamSeed(seed, PURPOSE_NOISE);
  const noiseSeed = new Uint32Array(n);
  for (let i = 0; i < n; i++) noiseSeed[i] = mix32(noiseBase + Math.imul(i + 1, 0x9e3779b9));

  return { n, T, seed, numImages, timesteps, index, t, noiseSeed };
}
