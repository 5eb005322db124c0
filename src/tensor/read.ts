/**
 * The one way library code reads a tensor's values: asynchronously. On the `webgpu` backend a
 * synchronous read (`dataSync`, `arraySync`) of a tensor that lives on the GPU throws under Deno
 * (tfjs needs an OffscreenCanvas for it), so every read goes through here and awaits the device.
 * On `ort` and `cpu` the values are already in memory and the read costs a copy at most.
 * tests/engine/syncReads_test.ts fails when a synchronous read appears elsewhere in src/.
 */
import { tf } from "./tf.ts";

/** The values of `t` (row-major), read without blocking. `t` stays alive. */
export const readTensor = async (t: tf.Tensor): Promise<Float32Array | Int32Array | Uint8Array> =>
  (await t.data()) as Float32Array | Int32Array | Uint8Array;

/** The values of a tensor as a Float32Array (a fresh copy the caller owns); `t` stays alive. */
export const readFloat32 = async (t: tf.Tensor): Promise<Float32Array> => {
  const values = await readTensor(t);
  return values instanceof Float32Array ? values : Float32Array.from(values);
};

/** readFloat32, then disposes `t`: for a tensor made only to be read. */
export const takeFloat32 = async (t: tf.Tensor): Promise<Float32Array> => {
  try {
    return await readFloat32(t);
  } finally {
    t.dispose();
  }
};

/** The single value of a scalar (or the first value of any tensor); `t` stays alive. */
export const readScalar = async (t: tf.Tensor): Promise<number> => (await readTensor(t))[0]!;

/** readScalar, then disposes `t`: for a scalar made only to be read. */
export const takeScalar = async (t: tf.Tensor): Promise<number> => {
  try {
    return await readScalar(t);
  } finally {
    t.dispose();
  }
};
