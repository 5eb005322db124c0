/**
 * What WebGPU adapter this process can get, asked once: vendor, architecture, device,
 * description, whether it is a software (fallback) adapter, and the two buffer limits that bound
 * the largest tensor. Recorded in every webgpu stage's manifest entry and used by `auto`.
 *
 * Deno exposes `navigator.gpu` without a flag; on Linux it finds Vulkan drivers (Mesa's lavapipe
 * after `apt-get install mesa-vulkan-drivers`, NVIDIA's via its ICD) or falls back to GL
 * (llvmpipe). Bun has no `navigator.gpu`; there the probe reports no adapter.
 */
import { runtimeName } from "../platform/runtime.ts";
import * as proc from "../platform/process.ts";

export interface AdapterReport {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  /** True for a software rasteriser (llvmpipe / lavapipe / SwiftShader): not GPU speed. */
  readonly isFallbackAdapter: boolean;
  readonly maxBufferSize: number;
  readonly maxStorageBufferBindingSize: number;
}

/** The outcome of asking for an adapter: one, or why there is none. */
export type AdapterProbe =
  | { readonly found: true; readonly adapter: AdapterReport }
  | { readonly found: false; readonly reason: string };

interface GpuInfoLike {
  readonly vendor?: string;
  readonly architecture?: string;
  readonly device?: string;
  readonly description?: string;
  readonly isFallbackAdapter?: boolean;
}
interface GpuAdapterLike {
  readonly info?: GpuInfoLike;
  readonly isFallbackAdapter?: boolean;
  readonly limits: { readonly maxBufferSize: number; readonly maxStorageBufferBindingSize: number };
}
interface GpuLike {
  requestAdapter(): Promise<GpuAdapterLike | null>;
}

/** Llvmpipe, lavapipe and SwiftShader describe themselves; older runtimes lack the flag. */
const SOFTWARE_NAMES = /llvmpipe|lavapipe|swiftshader|software/i;

/** Turns an adapter (or its absence) into a report; exported for tests with fake adapters. */
export const describeAdapter = (adapter: GpuAdapterLike): AdapterReport => {
  const info = adapter.info ?? {};
  const description = info.description ?? "";
  return {
    vendor: info.vendor ?? "",
    architecture: info.architecture ?? "",
    device: info.device ?? "",
    description,
    isFallbackAdapter: (info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false) ||
      SOFTWARE_NAMES.test(description),
    maxBufferSize: adapter.limits.maxBufferSize,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
  };
};

/**
 * Mesa's window-system code prints "XDG_RUNTIME_DIR is invalid or not set" on every adapter
 * request of a headless process; with the variable set (to the temp dir) it stays quiet.
 */
const quietenWsi = (): void => {
  try {
    if (!proc.envGet("XDG_RUNTIME_DIR")) {
      proc.envSet("XDG_RUNTIME_DIR", proc.envGet("TMPDIR") || "/tmp");
    }
  } catch { /* no --allow-env: the message stays */ }
};

/** Asks `gpu` (default `navigator.gpu`) for an adapter; never throws. */
export const requestAdapterReport = async (
  gpu: GpuLike | undefined = (navigator as { gpu?: GpuLike }).gpu,
): Promise<AdapterProbe> => {
  if (!gpu) {
    return {
      found: false,
      reason: runtimeName() === "bun"
        ? "Bun has no navigator.gpu (WebGPU runs under Deno only)"
        : "this Deno has no navigator.gpu",
    };
  }
  quietenWsi();
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) {
      return {
        found: false,
        reason: "navigator.gpu.requestAdapter() found no Vulkan or GL adapter",
      };
    }
    return { found: true, adapter: describeAdapter(adapter) };
  } catch (e) {
    return {
      found: false,
      reason: `navigator.gpu.requestAdapter() failed: ${e instanceof Error ? e.message : e}`,
    };
  }
};

let cached: Promise<AdapterProbe> | undefined;

/** The adapter probe of this process, done at most once. */
export const probeAdapter = (): Promise<AdapterProbe> => (cached ??= requestAdapterReport());
