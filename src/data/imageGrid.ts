/**
 * Image output: sample grids and single images as PNG (through sharp), and reading a PNG back.
 * Inputs are NHWC Float32Arrays in [-1, 1], as produced by the samplers and every loader here;
 * values are clipped, and -1 → 0, 1 → 255.
 *
 * The grid layout is pure (`makeImageGrid`); encoding and file writing are separate. Grids pad
 * between cells and around the border, and upscale by an integer factor with nearest-neighbour
 * sampling so that 28-px images stay crisp.
 */
import sharp from "sharp";
import { type DatasetShape, unitToByte } from "./dataset.ts";
import { DataOptionError, ImageReadError } from "./errors.ts";
import * as fsys from "../platform/fs.ts";

/** A batch of images (a `Dataset` is one). */
export interface ImageArray {
  readonly images: Float32Array;
  readonly shape: DatasetShape;
}

/** One image as bytes, row-major H×W×C. */
export interface ByteImage {
  readonly data: Uint8Array;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/** One image in [-1, 1], row-major H×W×C. */
export interface FloatImage {
  readonly data: Float32Array;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

export interface GridOptions {
  /** Rows and columns; by default a near-square grid (cols = ⌈√n⌉). Extra images are left out. */
  readonly rows?: number;
  readonly cols?: number;
  /** Pixels between cells and around the border, after upscaling (default 1). */
  readonly padding?: number;
  /** Integer nearest-neighbour upscale factor (default 1). */
  readonly scale?: number;
  /** Colour of padding and empty cells, in [-1, 1] (default 1: white). */
  readonly padValue?: number;
}

/** Resolved layout of a grid. */
export interface GridLayout {
  readonly rows: number;
  readonly cols: number;
  readonly padding: number;
  readonly scale: number;
  readonly height: number;
  readonly width: number;
}

const positiveInt = (v: number, option: string, min: number): void => {
  if (!Number.isInteger(v) || v < min) {
    throw new DataOptionError("image grid", option, `must be an integer ≥ ${min}, got ${v}`);
  }
};

/** Rows, columns and pixel size of the grid for `shape` and `options`. */
export function gridLayout(shape: DatasetShape, options: GridOptions = {}): GridLayout {
  const n = Math.max(shape.n, 1);
  const padding = options.padding ?? 1;
  const scale = options.scale ?? 1;
  positiveInt(padding, "padding", 0);
  positiveInt(scale, "scale", 1);
  let { rows, cols } = options;
  if (rows !== undefined) positiveInt(rows, "rows", 1);
  if (cols !== undefined) positiveInt(cols, "cols", 1);
  if (rows === undefined && cols === undefined) cols = Math.ceil(Math.sqrt(n));
  if (rows === undefined) rows = Math.ceil(n / (cols as number));
  if (cols === undefined) cols = Math.ceil(n / rows);
  return {
    rows,
    cols,
    padding,
    scale,
    height: rows * shape.height * scale + (rows + 1) * padding,
    width: cols * shape.width * scale + (cols + 1) * padding,
  };
}

/** Lays out images row by row into one byte image (pure; see `GridOptions`). */
export function makeImageGrid(batch: ImageArray, options: GridOptions = {}): ByteImage {
  const { n, height: h, width: w, channels: c } = batch.shape;
  if (batch.images.length !== n * h * w * c) {
    throw new DataOptionError(
      "image grid",
      "images",
      `has ${batch.images.length} values, shape needs ${n}×${h}×${w}×${c}`,
    );
  }
  const layout = gridLayout(batch.shape, options);
  const { rows, cols, padding, scale, height, width } = layout;
  const data = new Uint8Array(height * width * c).fill(unitToByte(options.padValue ?? 1));
  const shown = Math.min(n, rows * cols);
  for (let i = 0; i < shown; i++) {
    const top = padding + Math.floor(i / cols) * (h * scale + padding);
    const left = padding + (i % cols) * (w * scale + padding);
    const base = i * h * w * c;
    for (let y = 0; y < h * scale; y++) {
      const srcRow = base + Math.floor(y / scale) * w * c;
      let dst = ((top + y) * width + left) * c;
      for (let x = 0; x < w * scale; x++) {
        const src = srcRow + Math.floor(x / scale) * c;
        for (let k = 0; k < c; k++) data[dst++] = unitToByte(batch.images[src + k] as number);
      }
    }
  }
  return { data, height, width, channels: c };
}

function checkChannels(channels: number, what: string): void {
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new DataOptionError(what, "channels", `must be 1, 3 or 4 for PNG, got ${channels}`);
  }
}

/** Encodes a byte image as PNG (1 channel → grayscale PNG). */
export async function encodePng(image: ByteImage): Promise<Uint8Array> {
  checkChannels(image.channels, "encodePng");
  const raw = { width: image.width, height: image.height, channels: image.channels as 1 | 3 | 4 };
  const img = sharp(image.data, { raw });
  if (image.channels === 1) img.toColourspace("b-w"); // else sharp writes an RGB PNG
  const buf = await img.png().toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Writes a grid of `batch` to `path` as PNG and returns the grid (e.g. for its size). */
export async function writeImageGrid(
  path: string,
  batch: ImageArray,
  options: GridOptions = {},
): Promise<ByteImage> {
  const grid = makeImageGrid(batch, options);
  await fsys.writeFile(path, await encodePng(grid));
  return grid;
}

/** Writes one [-1, 1] image to `path` as PNG (values clipped). */
export async function writePng(path: string, image: FloatImage): Promise<void> {
  const { data, height, width, channels } = image;
  if (data.length !== height * width * channels) {
    throw new DataOptionError(
      "writePng",
      "data",
      `has ${data.length} values, needs ${height}×${width}×${channels}`,
    );
  }
  const bytes = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) bytes[i] = unitToByte(data[i] as number);
  await fsys.writeFile(path, await encodePng({ data: bytes, height, width, channels }));
}

/**
 * Reads a PNG (or any image sharp decodes) into [-1, 1] with its stored channels: 1 for
 * grayscale, 3 for RGB, 2 or 4 with alpha. Throws `ImageReadError` naming the path.
 */
export async function readPng(path: string): Promise<FloatImage> {
  try {
    const img = sharp(path, { failOn: "error" });
    const meta = await img.metadata();
    if (meta.channels <= 2) img.toColourspace("b-w"); // else sharp expands gray to RGB
    const { data, info } = await img.raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
    const out = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = (data[i] as number) / 127.5 - 1;
    return { data: out, height: info.height, width: info.width, channels: info.channels };
  } catch (e) {
    throw new ImageReadError(path, e instanceof Error ? e.message : String(e));
  }
}
