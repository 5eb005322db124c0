/**
 * The `webgpu` backend: @tensorflow/tfjs-backend-webgpu on Deno's `navigator.gpu`.
 *
 * The adapter is probed first (webgpuAdapter.ts) so that a machine without one fails with a
 * message naming what to install, never by running on the CPU instead. A software adapter
 * (Mesa's llvmpipe/lavapipe) is accepted: it is how the backend is tested without a GPU, and the
 * run's summary says plainly that its numbers came from a software GPU.
 *
 * Under Deno, tfjs's synchronous reads (`dataSync`) of a GPU tensor need an OffscreenCanvas and
 * throw; library code reads tensors through `readTensor()` (src/tensor/read.ts) instead.
 */
import { tf } from "../tensor/tf.ts";
import { WebgpuUnavailableError } from "./errors.ts";
import { type AdapterReport, probeAdapter } from "./webgpuAdapter.ts";
import { registerWebgpuFixes } from "./webgpuFixes.ts";

export const WEBGPU_PACKAGE_VERSION = "4.22.0";
/** Bumped when webgpuFixes.ts changes results: part of every webgpu cache key. */
export const WEBGPU_FIXES_VERSION = "1";

/** Finds an adapter, loads tfjs's WebGPU backend and makes it current; returns the adapter. */
export async function loadWebgpuBackend(): Promise<AdapterReport> {
  const probe = await probeAdapter();
  if (!probe.found) throw new WebgpuUnavailableError(probe.reason);
  try {
    await import("@tensorflow/tfjs-backend-webgpu");
  } catch (e) {
    throw new WebgpuUnavailableError(
      `@tensorflow/tfjs-backend-webgpu did not load (${e instanceof Error ? e.message : e})`,
    );
  }
  if (!(await tf.setBackend("webgpu"))) {
    throw new WebgpuUnavailableError("tfjs's 'webgpu' backend failed to initialise on the adapter");
  }
  registerWebgpuFixes();
  return probe.adapter;
}
