/**
 * Reader for IDX files (LeCun's MNIST format, also used by Fashion-MNIST), gzipped or not.
 *
 * Layout: a 4-byte magic `00 00 TT DD` (TT = element type, DD = number of dimensions), DD
 * big-endian uint32 sizes, then the elements in row-major order, big-endian. Labels are
 * `0x00000801` (unsigned bytes, 1 dim), images `0x00000803` (unsigned bytes, 3 dims).
 * A file that starts with the gzip magic `1f 8b` is gunzipped first, whatever its name.
 *
 * Every problem (bad magic, truncated header or data, trailing bytes, corrupt gzip) is a
 * `MalformedDataFile` naming the file. Scaling to [-1, 1] and dataset assembly are not done here.
 */
import { gunzipSync } from "node:zlib";
import { MalformedDataFile } from "./errors.ts";
import * as fsys from "../platform/fs.ts";

/** IDX element types by their type byte. */
export const IDX_TYPES = {
  0x08: { name: "unsigned byte", bytes: 1 },
  0x09: { name: "signed byte", bytes: 1 },
  0x0b: { name: "short", bytes: 2 },
  0x0c: { name: "int", bytes: 4 },
  0x0d: { name: "float", bytes: 4 },
  0x0e: { name: "double", bytes: 8 },
} as const;

export type IdxTypeCode = keyof typeof IDX_TYPES;

export type IdxData =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Float32Array
  | Float64Array;

export interface IdxArray {
  readonly type: IdxTypeCode;
  readonly dims: readonly number[];
  readonly data: IdxData;
}

export const IDX_LABELS_MAGIC = 0x00000801;
export const IDX_IMAGES_MAGIC = 0x00000803;

const hex = (x: number): string => `0x${(x >>> 0).toString(16).padStart(8, "0")}`;

/** True when `bytes` starts with the gzip magic number 1f 8b. */
export const isGzip = (bytes: Uint8Array): boolean =>
  bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;

/** Gunzips `bytes` when they start with the gzip magic, else returns them unchanged. */
export function maybeGunzip(bytes: Uint8Array, path: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    const out = gunzipSync(bytes);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new MalformedDataFile(path, `gzip data is corrupt or truncated (${why})`);
  }
}

/**
 * Parses IDX bytes (already gunzipped). `path` is only used in error messages. When `expectMagic`
 * is given, any other magic number is an error.
 */
export function parseIdx(bytes: Uint8Array, path: string, expectMagic?: number): IdxArray {
  const what = expectMagic === undefined ? "" : ` (expected ${hex(expectMagic)})`;
  if (bytes.length < 4) {
    throw new MalformedDataFile(
      path,
      `truncated: ${bytes.length} bytes, too short for an IDX header`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const typeByte = bytes[2] as number;
  const ndims = bytes[3] as number;
  const type = IDX_TYPES[typeByte as IdxTypeCode];
  if (bytes[0] !== 0 || bytes[1] !== 0 || type === undefined || ndims === 0) {
    throw new MalformedDataFile(path, `bad magic number ${hex(magic)}${what}: not an IDX file`);
  }
  if (expectMagic !== undefined && magic !== expectMagic) {
    throw new MalformedDataFile(path, `bad magic number ${hex(magic)}${what}`);
  }
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new MalformedDataFile(
      path,
      `truncated header: ${ndims} dimensions need ${headerBytes} bytes, file has ${bytes.length}`,
    );
  }
  const dims: number[] = [];
  for (let d = 0; d < ndims; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const dataBytes = count * type.bytes;
  const have = bytes.length - headerBytes;
  if (have < dataBytes) {
    throw new MalformedDataFile(
      path,
      `truncated: header says ${dims.join("×")} ${type.name} values (${dataBytes} bytes), ` +
        `file has ${have} bytes of data`,
    );
  }
  if (have > dataBytes) {
    throw new MalformedDataFile(
      path,
      `size mismatch: header says ${dims.join("×")} ${type.name} values (${dataBytes} bytes), ` +
        `file has ${have - dataBytes} extra bytes`,
    );
  }
  return { type: typeByte as IdxTypeCode, dims, data: decode(view, headerBytes, count, typeByte) };
}

function decode(view: DataView, at: number, count: number, type: number): IdxData {
  switch (type) {
    case 0x08: // own copy: the caller may drop the (large) file buffer
      return new Uint8Array(view.buffer, view.byteOffset + at, count).slice();
    case 0x09:
      return new Int8Array(view.buffer, view.byteOffset + at, count).slice();
    case 0x0b: {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(at + 2 * i, false);
      return out;
    }
    case 0x0c: {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(at + 4 * i, false);
      return out;
    }
    case 0x0d: {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(at + 4 * i, false);
      return out;
    }
    default: {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(at + 8 * i, false);
      return out;
    }
  }
}

/** Reads and parses an IDX file (gzipped or not). A missing file throws a not-found error (`isNotFound`). */
export async function readIdxFile(path: string, expectMagic?: number): Promise<IdxArray> {
  const raw = await fsys.readFile(path);
  return parseIdx(maybeGunzip(raw, path), path, expectMagic);
}

export interface IdxImages {
  readonly n: number;
  readonly height: number;
  readonly width: number;
  /** n×height×width bytes, 0..255. */
  readonly pixels: Uint8Array;
}

/** Reads an IDX image file (magic 0x00000803: unsigned bytes, n×rows×cols). */
export async function readIdxImages(path: string): Promise<IdxImages> {
  const idx = await readIdxFile(path, IDX_IMAGES_MAGIC);
  const [n, height, width] = idx.dims as [number, number, number];
  return { n, height, width, pixels: idx.data as Uint8Array };
}

/** Reads an IDX label file (magic 0x00000801: unsigned bytes, n) as class indices. */
export async function readIdxLabels(path: string): Promise<Int32Array> {
  const idx = await readIdxFile(path, IDX_LABELS_MAGIC);
  return Int32Array.from(idx.data as Uint8Array);
}
