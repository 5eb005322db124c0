/**
 * The in-memory dataset every loader returns: images as one NHWC Float32Array scaled to [-1, 1],
 * optional integer labels, and where the data came from. Plus the pure helpers that every loader
 * shares: byte ↔ [-1, 1] conversion, validation, subsets and padding.
 *
 * No file I/O and no tensors here; the training code turns these arrays into tensors.
 */
import { DataOptionError } from "./errors.ts";

/** Sizes of an NHWC image array. */
export interface DatasetShape {
  readonly n: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

export interface Dataset {
  /** N×H×W×C, row-major (NHWC), each value in [-1, 1]. */
  readonly images: Float32Array;
  /** One class index per image, or null for an unlabelled dataset. */
  readonly labels: Int32Array | null;
  readonly shape: DatasetShape;
  /** Name of each class index, or null when there are no labels (or no names). */
  readonly classNames: readonly string[] | null;
  /** Where the data came from, e.g. `fashion-mnist:train:/usr/share/datasets/fashion-mnist`. */
  readonly source: string;
}

/** Number of values in one image. */
export const imageSize = (shape: DatasetShape): number =>
  shape.height * shape.width * shape.channels;

/** Byte 0..255 → [-1, 1]: 0 → -1, 255 → 1 (exactly), b/127.5 - 1. */
export const byteToUnit = (b: number): number => b / 127.5 - 1;

/** [-1, 1] → byte 0..255, clipped and rounded; NaN maps to 0. Inverse of `byteToUnit`. */
export const unitToByte = (x: number): number => {
  const v = Math.round((x + 1) * 127.5);
  return v > 255 ? 255 : v >= 0 ? v : 0; // `v >= 0` is false for NaN
};

/** Converts a whole byte array to [-1, 1] (into `out` when given). */
export function bytesToUnit(bytes: Uint8Array, out = new Float32Array(bytes.length)): Float32Array {
  if (out.length !== bytes.length) {
    throw new RangeError(`bytesToUnit: out has ${out.length} values, bytes has ${bytes.length}`);
  }
  for (let i = 0; i < bytes.length; i++) out[i] = (bytes[i] as number) / 127.5 - 1;
  return out;
}

/** Converts [-1, 1] values to bytes (clipped, rounded). */
export function unitToBytes(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = unitToByte(values[i] as number);
  return out;
}

/**
 * Checks a dataset's internal consistency (array lengths, label range, class-name count) and
 * returns it. Throws `DataOptionError` naming `source` and the broken field.
 */
export function checkDataset(ds: Dataset): Dataset {
  const { n, height, width, channels } = ds.shape;
  const fail = (field: string, reason: string): never => {
    throw new DataOptionError(`dataset ${ds.source}`, field, reason);
  };
  for (const [k, v] of Object.entries(ds.shape)) {
    if (!Number.isInteger(v) || v < 0) {
      fail(`shape.${k}`, `must be a non-negative integer, got ${v}`);
    }
  }
  if (ds.images.length !== n * height * width * channels) {
    fail(
      "images",
      `has ${ds.images.length} values, shape needs ${n}×${height}×${width}×${channels}`,
    );
  }
  if (ds.labels !== null) {
    if (ds.labels.length !== n) fail("labels", `has ${ds.labels.length} entries for ${n} images`);
    const k = ds.classNames?.length ?? Infinity;
    for (let i = 0; i < ds.labels.length; i++) {
      const l = ds.labels[i] as number;
      if (l < 0 || l >= k) fail("labels", `entry ${i} is ${l}, outside [0, ${k})`);
    }
  }
  return ds;
}

/** Number of classes: length of `classNames`, else 1 + the largest label, else 0. */
export function numClasses(ds: Dataset): number {
  if (ds.classNames !== null) return ds.classNames.length;
  if (ds.labels === null) return 0;
  let max = -1;
  for (const l of ds.labels) if (l > max) max = l;
  return max + 1;
}

/** How many images each class has (index = class). Empty when unlabelled. */
export function classCounts(ds: Dataset): number[] {
  const counts = new Array<number>(numClasses(ds)).fill(0);
  if (ds.labels !== null) { for (const l of ds.labels) counts[l] = (counts[l] ?? 0) + 1; }
  return counts;
}

/** The images (and labels) at `indices`, in that order, as a new dataset. */
export function subsetDataset(
  ds: Dataset,
  indices: ArrayLike<number>,
  source = `${ds.source}[subset of ${indices.length}]`,
): Dataset {
  const size = imageSize(ds.shape);
  const images = new Float32Array(indices.length * size);
  const srcLabels = ds.labels;
  const labels = srcLabels === null ? null : new Int32Array(indices.length);
  for (let j = 0; j < indices.length; j++) {
    const i = indices[j] as number;
    if (!Number.isInteger(i) || i < 0 || i >= ds.shape.n) {
      throw new RangeError(`subsetDataset: index ${i} outside [0, ${ds.shape.n}) of ${ds.source}`);
    }
    images.set(ds.images.subarray(i * size, (i + 1) * size), j * size);
    if (labels !== null && srcLabels !== null) labels[j] = srcLabels[i] as number;
  }
  return {
    images,
    labels,
    shape: { ...ds.shape, n: indices.length },
    classNames: ds.classNames,
    source,
  };
}

/** The first `limit` images (all when `limit` is undefined or larger than the dataset). */
export function takeFirst(ds: Dataset, limit: number | undefined): Dataset {
  if (limit === undefined || limit >= ds.shape.n) return ds;
  if (!Number.isInteger(limit) || limit < 0) {
    throw new DataOptionError(
      `dataset ${ds.source}`,
      "limit",
      `must be a non-negative integer, got ${limit}`,
    );
  }
  const size = imageSize(ds.shape);
  return {
    images: ds.images.slice(0, limit * size),
    labels: ds.labels === null ? null : ds.labels.slice(0, limit),
    shape: { ...ds.shape, n: limit },
    classNames: ds.classNames,
    source: `${ds.source}[:${limit}]`,
  };
}

/**
 * Pads every image symmetrically to `height`×`width` with `value` (default -1, i.e. black), e.g.
 * 28×28 → 32×32 for a UNet that halves the resolution three times. An odd difference puts the
 * extra row/column at the bottom/right.
 */
export function padImages(ds: Dataset, height: number, width: number, value = -1): Dataset {
  const { n, height: h, width: w, channels: c } = ds.shape;
  if (height < h || width < w) {
    throw new DataOptionError(
      `dataset ${ds.source}`,
      "pad",
      `target ${height}×${width} is smaller than the images (${h}×${w})`,
    );
  }
  if (height === h && width === w) return ds;
  const top = (height - h) >> 1;
  const left = (width - w) >> 1;
  const out = new Float32Array(n * height * width * c).fill(value);
  const srcRow = w * c;
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < h; y++) {
      const src = (i * h + y) * srcRow;
      const dst = ((i * height + y + top) * width + left) * c;
      out.set(ds.images.subarray(src, src + srcRow), dst);
    }
  }
  return { ...ds, images: out, shape: { n, height, width, channels: c } };
}
