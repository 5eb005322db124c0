/**
 * Shared plumbing of the ORT kernels: reading tfjs CPU storage, making outputs, falling back to
 * the JS kernel, and the size thresholds below which a tensor stays in JS.
 *
 * Why thresholds: a synchronous ORT call costs a few microseconds (5 µs on one machine, 17 µs on
 * another), while tfjs's JS loops cost ~1-3 ns per element for same-shape ops and
 * ~25-45 ns per element once broadcasting or reducing. Small tensors (biases, scalars, timestep
 * embeddings) stay in JS; large ones go to ORT. Tunable through `setOrtThresholds`; the kernel
 * tests set them to 0 to force every kernel onto ORT.
 */
import { tf } from "../../../tensor/tf.ts";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";

export type TensorInfo = tf.TensorInfo;
export type KernelFunc = tf.KernelFunc;

/** The arguments every tfjs kernel receives, typed for the CPU storage the ORT backend keeps. */
export interface Args {
  readonly inputs: tf.NamedTensorInfoMap;
  readonly backend: MathBackendCPU;
  readonly attrs?: tf.NamedAttrMap;
}

export interface OrtThresholds {
  /** Elementwise ops whose inputs all have the output's shape (JS is fast there). */
  readonly sameShapeElements: number;
  /** Elementwise ops that broadcast (tfjs's generic index loop is slow there). */
  readonly broadcastElements: number;
  /** Reductions, softmax, transposes, slices, concats, resizes. */
  readonly moveElements: number;
  /** Matmul and convolution: multiply-adds. */
  readonly flops: number;
}

// measured through tfjs dispatch (batch-64 UNet shapes, 2 cores): ORT overtakes JS at ~4-8 K
// elements for same-shape ops and already at a few hundred once broadcasting or reducing
let thresholds: OrtThresholds = {
  sameShapeElements: 8192,
  broadcastElements: 512,
  moveElements: 1024,
  flops: 8192,
};

let capturing = false;

/**
 * True while graph capture records kernels (ort/captureTrace.ts): kernels with a faster path that
 * prepares data in JS take their all-in-graph path instead, which a whole graph can contain.
 */
export function isCapturing(): boolean {
  return capturing;
}

export function setCapturing(on: boolean): void {
  capturing = on;
}

export function ortThresholds(): OrtThresholds {
  return thresholds;
}

/** Tunes when kernels go to ORT; `0` everywhere forces ORT (the kernel tests do that). */
export function setOrtThresholds(patch: Partial<OrtThresholds>): OrtThresholds {
  thresholds = { ...thresholds, ...patch };
  return thresholds;
}

/**
 * The float32 values of a tensor held by the CPU backend. tfjs's Cast to a wider type keeps the
 * source storage (a bool tensor cast to float32 still holds a Uint8Array), so those are copied.
 */
export function f32(backend: MathBackendCPU, t: TensorInfo): Float32Array {
  const values = backend.data.get(t.dataId)?.values;
  if (values instanceof Float32Array) return values;
  if (values instanceof Int32Array || values instanceof Uint8Array) {
    return Float32Array.from(values);
  }
  throw new Error(`ORT kernel expected numeric storage for ${t.dtype} tensor [${t.shape}]`);
}

export function output(backend: MathBackendCPU, shape: readonly number[], values: Float32Array) {
  return backend.makeTensorInfo([...shape], "float32", values);
}

export function size(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A compact, unambiguous shape fragment for session keys: [2,3] → "2x3", [] → "s". */
export function sk(shape: readonly number[]): string {
  return shape.length === 0 ? "s" : shape.join("x");
}

export function isF32(...ts: (TensorInfo | undefined)[]): boolean {
  return ts.every((t) => t === undefined || t.dtype === "float32");
}

/**
 * The JS kernel of the `cpu` backend: the fallback for small tensors, other dtypes and attribute
 * combinations the ORT graphs do not cover. Looked up on first use (not at import) so that the
 * corrected cpu kernels of cpuFixes.ts, registered later, are the ones used.
 */
const cpuKernels = new Map<string, KernelFunc>();

export function cpuFallback(name: string, args: Args): TensorInfo | TensorInfo[] {
  let f = cpuKernels.get(name);
  if (f === undefined) {
    f = tf.getKernel(name, "cpu")?.kernelFunc;
    if (f === undefined) throw new Error(`no cpu kernel '${name}' to fall back to`);
    cpuKernels.set(name, f);
  }
  return f(args as unknown as Parameters<KernelFunc>[0]);
}

/** Per kernel name: calls that ran on ORT and calls that fell back to JS (tests, profiling). */
export const kernelCounts = new Map<string, { ort: number; js: number }>();

function count(name: string, onOrt: boolean): void {
  let c = kernelCounts.get(name);
  if (c === undefined) kernelCounts.set(name, c = { ort: 0, js: 0 });
  if (onOrt) c.ort++;
  else c.js++;
}

/** A kernel that tries ORT and falls back to JS when `impl` returns undefined. */
export function withFallback(
  name: string,
  impl: (args: Args) => TensorInfo | TensorInfo[] | undefined,
): tf.KernelConfig {
  const kernelFunc = (args: Args) => {
    const out = impl(args);
    count(name, out !== undefined);
    return out ?? cpuFallback(name, args);
  };
  return { kernelName: name, backendName: "ort", kernelFunc: kernelFunc as unknown as KernelFunc };
}
