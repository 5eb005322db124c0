/**
 * One batch of fixed evaluation triples (docs/methods.md#weightings): the x0 images, the ε noise
 * drawn from each triple's own seed, the class labels (0 for unlabelled data) and the timesteps,
 * for triples `start … start + count - 1`. Shared by every stage that scores a model on the same
 * triples, so they all see identical (x0, ε, t).
 */
import type { Dataset } from "../data/dataset.ts";
import type { EvalTriples } from "../metrics/timestepBins.ts";
import { makeRng } from "../diffusion/rng.ts";

export interface TripleBatch {
  readonly x0: Float32Array; // [count, H, W, C]
  readonly eps: Float32Array; // [count, H, W, C]
  readonly y: Int32Array; // [count]
  readonly t: Int32Array; // [count]
}

export const tripleBatch = (
  split: Dataset,
  triples: EvalTriples,
  start: number,
  count: number,
): TripleBatch => {
  const { height: h, width: w, channels: c } = split.shape;
  const size = h * w * c;
  const x0 = new Float32Array(count * size);
  const eps = new Float32Array(count * size);
  const y = new Int32Array(count);
  for (let j = 0; j < count; j++) {
    const k = triples.index[start + j]!;
    y[j] = split.labels?.[k] ?? 0;
    x0.set(split.images.subarray(k * size, (k + 1) * size), j * size);
    eps.set(makeRng(triples.noiseSeed[start + j]!).normal(size), j * size);
  }
  return { x0, eps, y, t: triples.t.subarray(start, start + count) };
};
