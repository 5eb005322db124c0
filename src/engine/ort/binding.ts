/**
 * Loads onnxruntime-node's native binding and exposes its synchronous session API.
 *
 * tfjs kernels must return synchronously, and the public `InferenceSession.run` of
 * onnxruntime-node only wraps the binding's synchronous `run` in a Promise, so the engine talks to
 * the binding directly (`onnxruntime-node/dist/binding.js`). Loading is explicit and asynchronous
 * (a dynamic import), so that a missing or broken native library surfaces as one clear
 * `OrtUnavailableError` when the `ort` engine is selected, and never breaks users of `cpu`.
 */

import { OrtUnavailableError } from "../errors.ts";

export { OrtUnavailableError };

/** A tensor as the binding reads it: a plain object, no onnxruntime-common class needed. */
export interface OrtTensorLike {
  readonly type: "float32" | "int32" | "int64" | "bool";
  readonly data: Float32Array | Int32Array | BigInt64Array | Uint8Array;
  readonly dims: readonly number[];
  readonly location: "cpu";
}

/** The native session object (see onnxruntime-node dist/binding.d.ts). */
export interface NativeSession {
  loadModel(
    buffer: ArrayBufferLike,
    byteOffset: number,
    byteLength: number,
    options: Record<string, unknown>,
  ): void;
  /** Outputs given as tensors (not null) are written in place: we preallocate them. */
  run(
    feeds: Record<string, OrtTensorLike>,
    fetches: Record<string, OrtTensorLike | null>,
    options: Record<string, unknown>,
  ): Record<string, unknown>;
  dispose?(): void;
  endProfiling?(): void;
}

interface BindingModule {
  binding: { InferenceSession: new () => NativeSession };
  initOrt: () => void;
}

let loaded: BindingModule | undefined;
let loadError: string | undefined;

/** Imports and initialises the native binding once; throws OrtUnavailableError on failure. */
export async function loadOrtBinding(): Promise<void> {
  if (loaded !== undefined) return;
  if (loadError !== undefined) throw new OrtUnavailableError(loadError);
  try {
    const mod = await import("onnxruntime-node/dist/binding.js");
    const m = ((mod as { default?: unknown }).default ?? mod) as BindingModule;
    if (typeof m.binding?.InferenceSession !== "function") {
      throw new Error("binding.js exports no InferenceSession");
    }
    m.initOrt();
    loaded = m;
  } catch (e) {
    loadError = e instanceof Error ? e.message : String(e);
    throw new OrtUnavailableError(loadError);
  }
}

/** A fresh native session; the binding must have been loaded by `loadOrtBinding` first. */
export function newNativeSession(): NativeSession {
  if (loaded === undefined) {
    throw new OrtUnavailableError("loadOrtBinding() was not awaited before the first ORT kernel");
  }
  return new loaded.binding.InferenceSession();
}

/** The onnxruntime-node version this engine was built and tested against (for the identity). */
export async function ortVersion(): Promise<string> {
  try {
    const mod = await import("onnxruntime-node");
    const env = (mod as { env?: { versions?: { node?: string; common?: string } } }).env;
    return env?.versions?.node ?? env?.versions?.common ?? "unknown";
  } catch {
    return "unknown";
  }
}
