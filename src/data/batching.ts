/**
 * Deterministic shuffling, batching and train/test splitting from a seed. Epoch e visits the
 * dataset in the order `new Rng(seed, e).permutation(n)`, so every arm of a study that shares a
 * seed sees the same batches in the same order, and a resumed run can jump straight to any step.
 *
 * Batches are copied into buffers the `Batcher` owns and reuses: a `Batch`'s `images` and `labels`
 * are overwritten by the next call (copy them, or turn them into tensors, before asking again).
 * Pure computation, no I/O and no tensors.
 */
import { type Dataset, imageSize, subsetDataset } from "./dataset.ts";
import { DataOptionError } from "./errors.ts";
import { Rng } from "./rng.ts";

/** The visiting order of epoch `epoch`: a permutation of 0..n-1 drawn from (seed, epoch). */
export function epochPermutation(n: number, seed: number, epoch: number): Uint32Array {
  return new Rng(seed, epoch).permutation(n);
}

export interface BatchOptions {
  readonly batchSize: number;
  readonly seed: number;
  /** Default true; false visits 0..n-1 in order every epoch. */
  readonly shuffle?: boolean;
  /**
   * Default true: the last incomplete batch of each epoch is skipped, so every batch has
   * `batchSize` images. With false it is returned, smaller.
   */
  readonly dropLast?: boolean;
}

export interface Batch {
  /** Global step: `epoch * batchesPerEpoch + index`. */
  readonly step: number;
  readonly epoch: number;
  /** Index of the batch within its epoch. */
  readonly index: number;
  /** Dataset indices of the batch's images (a fresh array). */
  readonly indices: Uint32Array;
  /** size×H×W×C, a view into the batcher's reusable buffer. */
  readonly images: Float32Array;
  /** size labels (view into a reusable buffer), or null for an unlabelled dataset. */
  readonly labels: Int32Array | null;
  /** Number of images in this batch. */
  readonly size: number;
}

/** Copies the images (and labels) at `indices` into `images`/`labels`, which must be large enough. */
export function gatherInto(
  ds: Dataset,
  indices: ArrayLike<number>,
  images: Float32Array,
  labels: Int32Array | null,
): void {
  const size = imageSize(ds.shape);
  if (images.length < indices.length * size) {
    throw new RangeError(
      `gatherInto: buffer holds ${images.length} values, needs ${indices.length * size}`,
    );
  }
  for (let j = 0; j < indices.length; j++) {
    const i = indices[j] as number;
    images.set(ds.images.subarray(i * size, (i + 1) * size), j * size);
    if (labels !== null && ds.labels !== null) labels[j] = ds.labels[i] as number;
  }
}

export class Batcher {
  readonly batchesPerEpoch: number;
  readonly #ds: Dataset;
  readonly #options: Required<BatchOptions>;
  readonly #images: Float32Array;
  readonly #labels: Int32Array | null;
  #orderEpoch = -1;
  #order: Uint32Array = new Uint32Array(0);

  constructor(ds: Dataset, options: BatchOptions) {
    const { batchSize, seed } = options;
    const fail = (option: string, reason: string): never => {
      throw new DataOptionError(`Batcher over ${ds.source}`, option, reason);
    };
    if (!Number.isInteger(batchSize) || batchSize <= 0) {
      fail("batchSize", `must be a positive integer, got ${batchSize}`);
    }
    if (!Number.isSafeInteger(seed) || seed < 0) {
      fail("seed", `must be a non-negative integer, got ${seed}`);
    }
    const dropLast = options.dropLast ?? true;
    const n = ds.shape.n;
    this.batchesPerEpoch = dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
    if (this.batchesPerEpoch === 0) {
      fail(
        "batchSize",
        `is ${batchSize} but the dataset has ${n} images${dropLast ? " (dropLast)" : ""}`,
      );
    }
    this.#ds = ds;
    this.#options = { batchSize, seed, shuffle: options.shuffle ?? true, dropLast };
    this.#images = new Float32Array(batchSize * imageSize(ds.shape));
    this.#labels = ds.labels === null ? null : new Int32Array(batchSize);
  }

  /** The visiting order of `epoch` (cached for the most recent epoch; do not modify). */
  epochOrder(epoch: number): Uint32Array {
    if (!Number.isSafeInteger(epoch) || epoch < 0) {
      throw new RangeError(`epoch must be a non-negative integer, got ${epoch}`);
    }
    if (epoch !== this.#orderEpoch) {
      const n = this.#ds.shape.n;
      this.#order = this.#options.shuffle
        ? epochPermutation(n, this.#options.seed, epoch)
        : Uint32Array.from({ length: n }, (_, i) => i);
      this.#orderEpoch = epoch;
    }
    return this.#order;
  }

  /** The dataset indices of global step `step` (a fresh array). */
  batchIndices(step: number): Uint32Array {
    if (!Number.isSafeInteger(step) || step < 0) {
      throw new RangeError(`step must be a non-negative integer, got ${step}`);
    }
    const epoch = Math.floor(step / this.batchesPerEpoch);
    const index = step % this.batchesPerEpoch;
    const order = this.epochOrder(epoch);
    const start = index * this.#options.batchSize;
    return order.slice(start, Math.min(start + this.#options.batchSize, order.length));
  }

  /** The batch of global step `step`, copied into the reusable buffers. */
  batch(step: number): Batch {
    const indices = this.batchIndices(step);
    const size = indices.length;
    gatherInto(this.#ds, indices, this.#images, this.#labels);
    return {
      step,
      epoch: Math.floor(step / this.batchesPerEpoch),
      index: step % this.batchesPerEpoch,
      indices,
      images: size === this.#options.batchSize
        ? this.#images
        : this.#images.subarray(0, size * imageSize(this.#ds.shape)),
      labels: this.#labels === null ? null : this.#labels.subarray(0, size),
      size,
    };
  }

  /** Every batch of `epoch` in order (each overwrites the previous one's buffers). */
  *epoch(epoch: number): Generator<Batch> {
    for (let b = 0; b < this.batchesPerEpoch; b++) {
      yield this.batch(epoch * this.batchesPerEpoch + b);
    }
  }
}

export interface SplitOptions {
  readonly seed: number;
  /** Fraction of images for the test set, in [0, 1]; ignored when `testSize` is given. */
  readonly testFraction?: number;
  /** Exact number of test images. */
  readonly testSize?: number;
  /**
   * Split each class separately so both sides keep the class proportions (needs labels; the
   * per-class test counts are rounded, so the total can differ from `testSize` by a few).
   */
  readonly stratify?: boolean;
}

/**
 * Splits a dataset into disjoint train and test subsets drawn at random from `seed`. Each side
 * keeps the original order of its images. Sources are suffixed `[train]` / `[test]`.
 */
export function trainTestSplit(
  ds: Dataset,
  options: SplitOptions,
): { train: Dataset; test: Dataset } {
  const n = ds.shape.n;
  const fail = (option: string, reason: string): never => {
    throw new DataOptionError(`trainTestSplit of ${ds.source}`, option, reason);
  };
  const { seed, testFraction, testSize } = options;
  if (!Number.isSafeInteger(seed) || seed < 0) {
    fail("seed", `must be a non-negative integer, got ${seed}`);
  }
  if (testSize === undefined && testFraction === undefined) {
    fail("testFraction", "or testSize is required");
  }
  if (testSize !== undefined && (!Number.isInteger(testSize) || testSize < 0 || testSize > n)) {
    fail("testSize", `must be an integer in [0, ${n}], got ${testSize}`);
  }
  if (testFraction !== undefined && !(testFraction >= 0 && testFraction <= 1)) {
    fail("testFraction", `must be in [0, 1], got ${testFraction}`);
  }
  const fraction = testSize !== undefined ? (n === 0 ? 0 : testSize / n) : (testFraction as number);
  const isTest = new Uint8Array(n);
  const rng = new Rng(seed);
  if (options.stratify) {
    const labels = ds.labels ?? fail("stratify", "needs a labelled dataset");
    const byClass = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const l = labels[i] as number;
      const list = byClass.get(l) ?? [];
      list.push(i);
      byClass.set(l, list);
    }
    for (const cls of [...byClass.keys()].sort((a, b) => a - b)) {
      const members = byClass.get(cls) as number[];
      const k = Math.round(members.length * fraction);
      const perm = rng.permutation(members.length);
      for (let j = 0; j < k; j++) isTest[members[perm[j] as number] as number] = 1;
    }
  } else {
    const k = testSize ?? Math.round(n * fraction);
    const perm = rng.permutation(n);
    for (let j = 0; j < k; j++) isTest[perm[j] as number] = 1;
  }
  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < n; i++) (isTest[i] ? test : train).push(i);
  return {
    train: subsetDataset(ds, train, `${ds.source}[train]`),
    test: subsetDataset(ds, test, `${ds.source}[test]`),
  };
}
