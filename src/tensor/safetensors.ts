/**
 * Tensors stored in the safetensors layout (8-byte little-endian header length, JSON header of
 * {name: {dtype, shape, data_offsets}}, then the raw little-endian data), so other tools can read
 * a diffrun artifact without diffrun.
 */
import * as v from "valibot";
import { join } from "node:path";
import { type Codec, CodecError } from "../core/codec.ts";
import type { TensorData, TensorMap } from "./tensorMap.ts";
import * as fsys from "../platform/fs.ts";
const dtypeOf = (data: TensorData): "F32" | "I32" | "U8" =>
  data instanceof Float32Array ? "F32" : data instanceof Int32Array ? "I32" : "U8";

const headerEntry = v.strictObject({
  dtype: v.picklist(["F32", "I32", "U8"]),
  shape: v.array(v.pipe(v.number(), v.integer(), v.minValue(0))),
  data_offsets: v.tuple([v.number(), v.number()]),
});

export const encodeSafetensors = (tensors: TensorMap, metadata: Record<string, string> = {}) => {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const t = tensors[name]!;
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new CodecError(
        "tensors",
        name,
        `shape [${t.shape}] needs ${count} values, got ${t.data.length}`,
      );
    }
    header[name] = {
      dtype: dtypeOf(t.data),
      shape: t.shape,
      data_offsets: [offset, offset + t.data.byteLength],
    };
    offset += t.data.byteLength;
  }
  let headerText = JSON.stringify(header);
  headerText += " ".repeat((8 - (headerText.length % 8)) % 8); // keeps data 8-byte aligned
  const headerBytes = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const d = tensors[name]!.data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  return out;
};

export const decodeSafetensors = (bytes: Uint8Array, path: string): TensorMap => {
  const fail = (reason: string): never => {
    throw new CodecError("tensors", path, reason);
  };
  if (bytes.length < 8) fail("file shorter than its 8-byte header length");
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  if (8 + headerLength > bytes.length) fail(`header length ${headerLength} runs past the end`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (e) {
    return fail(`header is not JSON (${e instanceof Error ? e.message : e})`);
  }
  const body = bytes.subarray(8 + headerLength);
  const out: TensorMap = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const r = v.safeParse(headerEntry, raw);
    if (!r.success) return fail(`tensor "${name}": ${v.summarize(r.issues)}`);
    const { dtype, shape, data_offsets: [begin, end] } = r.output;
    const width = dtype === "U8" ? 1 : 4;
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * width || end > body.length || begin < 0) {
      return fail(
        `tensor "${name}": offsets [${begin}, ${end}) do not fit shape [${shape}] (${body.length} data bytes)`,
      );
    }
    const copy = body.slice(begin, end); // aligned copy, detached from the file buffer
    const data = dtype === "F32"
      ? new Float32Array(copy.buffer)
      : dtype === "I32"
      ? new Int32Array(copy.buffer)
      : copy;
    out[name] = { shape, data };
  }
  return out;
};

/** Named typed-array tensors in one `tensors.safetensors` file. */
export const tensors: Codec<TensorMap> = {
  name: "tensors",
  write: async (value, dir) => {
    await fsys.writeFile(join(dir, "tensors.safetensors"), encodeSafetensors(value));
  },
  read: async (dir) => {
    const path = join(dir, "tensors.safetensors");
    return decodeSafetensors(await fsys.readFile(path), path);
  },
};
