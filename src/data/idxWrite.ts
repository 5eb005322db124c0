/**
 * A small IDX writer, the inverse of `idx.ts`: used by tests to write fixtures (gzipped or not)
 * and by anyone who wants to export a dataset in MNIST's format. Writes unsigned-byte, int, float
 * and double arrays; the layout is described in `idx.ts`.
 */
import { gzipSync } from "node:zlib";
import { IDX_TYPES, type IdxTypeCode } from "./idx.ts";
import * as fsys from "../platform/fs.ts";

export interface IdxWriteInput {
  readonly dims: readonly number[];
  /** Row-major values; Uint8Array → unsigned bytes, Int32Array → int, Float32Array → float… */
  readonly data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

function typeCodeOf(data: IdxWriteInput["data"]): IdxTypeCode {
  if (data instanceof Uint8Array) return 0x08;
  if (data instanceof Int8Array) return 0x09;
  if (data instanceof Int16Array) return 0x0b;
  if (data instanceof Int32Array) return 0x0c;
  if (data instanceof Float32Array) return 0x0d;
  return 0x0e;
}

/** Encodes an array as IDX bytes; gzipped when `gzip` is true. */
export function encodeIdx(input: IdxWriteInput, options: { gzip?: boolean } = {}): Uint8Array {
  const { dims, data } = input;
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new RangeError(
      `encodeIdx: dims ${dims.join("×")} need ${count} values, got ${data.length}`,
    );
  }
  if (dims.length === 0 || dims.length > 255) {
    throw new RangeError(`encodeIdx: an IDX array has 1..255 dimensions, got ${dims.length}`);
  }
  const type = typeCodeOf(data);
  const size = IDX_TYPES[type].bytes;
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + count * size);
  const view = new DataView(out.buffer);
  view.setUint32(0, (type << 8) | dims.length, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < count; i++) {
    const v = data[i] as number;
    const at = header + i * size;
    if (type === 0x08) view.setUint8(at, v);
    else if (type === 0x09) view.setInt8(at, v);
    else if (type === 0x0b) view.setInt16(at, v, false);
    else if (type === 0x0c) view.setInt32(at, v, false);
    else if (type === 0x0d) view.setFloat32(at, v, false);
    else view.setFloat64(at, v, false);
  }
  if (!options.gzip) return out;
  const gz = gzipSync(out);
  return new Uint8Array(gz.buffer, gz.byteOffset, gz.byteLength);
}

/** Writes unsigned-byte images (n×height×width, magic 0x00000803). */
export async function writeIdxImages(
  path: string,
  images: { n: number; height: number; width: number; pixels: Uint8Array },
  options: { gzip?: boolean } = {},
): Promise<void> {
  const dims = [images.n, images.height, images.width];
  await fsys.writeFile(path, encodeIdx({ dims, data: images.pixels }, options));
}

/** Writes unsigned-byte labels (magic 0x00000801); each label must be in 0..255. */
export async function writeIdxLabels(
  path: string,
  labels: ArrayLike<number>,
  options: { gzip?: boolean } = {},
): Promise<void> {
  const data = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i] as number;
    if (!Number.isInteger(l) || l < 0 || l > 255) {
      throw new RangeError(`writeIdxLabels: label ${i} is ${l}, not a byte`);
    }
    data[i] = l;
  }
  await fsys.writeFile(path, encodeIdx({ dims: [labels.length], data }, options));
}
