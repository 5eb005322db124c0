/**
 * The `tensorflow` backend: @tensorflow/tfjs-node(-gpu), i.e. libtensorflow through N-API.
 *
 * Loaded by dynamic import only when asked for, with a specifier computed at run time, so that
 * neither `deno check` nor a machine without it ever tries to resolve the package. To use it, add
 * it to package.json "dependencies" and install it with its install script allowed (it downloads
 * libtensorflow 2.9.1). tfjs-node-gpu silently runs on the CPU when the CUDA 11.2 / cuDNN 8.1
 * libraries are missing, so a GPU request is checked after loading and fails loudly.
 */
import { tf } from "../tensor/tf.ts";
import { TensorflowGpuMissingError, TensorflowUnavailableError } from "./errors.ts";
import * as proc from "../platform/process.ts";

export interface TensorflowEngine {
  readonly pkg: string;
  readonly version: string;
  readonly gpu: boolean;
}

function errorText(e: unknown): string {
  const s = e instanceof Error ? e.message : String(e);
  return s.split("\n")[0] ?? s;
}

/** Imports tfjs-node(-gpu) and makes its `tensorflow` backend current. */
export async function loadTensorflowBackend(gpu: boolean): Promise<TensorflowEngine> {
  // must be set before libtensorflow initialises CUDA; without it TF grabs all GPU memory
  try {
    proc.envSet("TF_FORCE_GPU_ALLOW_GROWTH", "true");
  } catch { /* no --allow-env: TF keeps its default allocator */ }
  const candidates = gpu ? ["tfjs-node-gpu"] : ["tfjs-node", "tfjs-node-gpu"];
  let lastError = "";
  for (const name of candidates) {
    const pkg = ["@tensorflow", name].join("/"); // computed: never resolved statically
    let mod: { version?: Record<string, string> };
    try {
      mod = await import(pkg);
    } catch (e) {
      lastError = errorText(e);
      continue;
    }
    if (!(await tf.setBackend("tensorflow"))) {
      throw new TensorflowUnavailableError(pkg, "its 'tensorflow' backend failed to initialise");
    }
    const usingGpu = (tf.backend() as { isUsingGpuDevice?: boolean }).isUsingGpuDevice === true;
    if (gpu && !usingGpu) throw new TensorflowGpuMissingError(pkg);
    return { pkg, version: mod.version?.["tfjs-node"] ?? "unknown", gpu: usingGpu };
  }
  throw new TensorflowUnavailableError(
    ["@tensorflow", candidates[0]].join("/"),
    lastError || "not installed",
  );
}
