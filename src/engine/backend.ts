/**
 * The backend switch every tensor stage goes through: `selectBackend(name, options)` makes one
 * tfjs backend current and returns the engine identity that goes into manifests and cache keys.
 *
 * - `ort` (default): tfjs CPU storage, heavy kernels on onnxruntime (ort/). If onnxruntime does
 *   not load, this fails with OrtUnavailableError; it never falls back to `cpu` silently.
 * - `cpu`: tfjs's pure-JS kernels; slow, only when asked for explicitly.
 * - `tensorflow`: @tensorflow/tfjs-node(-gpu), imported only when asked for (tensorflow.ts).
 * - `webgpu`: tfjs's WebGPU backend on `navigator.gpu` (webgpu.ts); no adapter → a clear error.
 * - `auto`: webgpu on a hardware adapter, else ort (chooseBackend.ts).
 * Both `cpu` and `ort` get the corrected kernels of cpuFixes.ts.
 */
import { tf } from "../tensor/tf.ts";
import { runtimeName, runtimeVersion } from "../platform/runtime.ts";
import { prepareFfi } from "../platform/ffi.ts";
import { registerCpuFixes } from "./cpuFixes.ts";
import { registerGroupNormKernels } from "./groupNorm.ts";
import { UnknownBackendError } from "./errors.ts";
import { loadOrtBinding, ortVersion } from "./ort/binding.ts";
import { ORT_BACKEND_NAME, registerOrtBackend } from "./ort/ortBackend.ts";
import { tuneMalloc } from "./ort/malloc.ts";
import { configureOrt } from "./ort/sessionCache.ts";
import { loadTensorflowBackend } from "./tensorflow.ts";
import { loadWebgpuBackend, WEBGPU_FIXES_VERSION, WEBGPU_PACKAGE_VERSION } from "./webgpu.ts";
import type { AdapterReport } from "./webgpuAdapter.ts";
import { AUTO_BACKEND, chooseBackend } from "./chooseBackend.ts";

export const BACKEND_NAMES = ["ort", "cpu", "tensorflow", "webgpu"] as const;
/**
 * What `--backend` accepts: the backends, plus `tensorflow-gpu` = `tensorflow` that must run on a
 * GPU (it fails loudly when tfjs-node-gpu falls back to the CPU), and `auto` (the default).
 */
export const BACKEND_CHOICES = [...BACKEND_NAMES, "tensorflow-gpu", AUTO_BACKEND] as const;
export type BackendName = typeof BACKEND_NAMES[number];
export type BackendChoiceName = typeof BACKEND_CHOICES[number];
export const DEFAULT_BACKEND: BackendChoiceName = AUTO_BACKEND;

/** What computed the numbers: recorded in run manifests and mixed into cache keys. */
export interface EngineIdentity {
  readonly backend: BackendName;
  /** Library versions that can change results (sorted keys when serialised by the caller). */
  readonly version: Readonly<Record<string, string>>;
  /** Compute threads the engine uses (1 for the JS backend). */
  readonly threads: number;
  /** Whether a GPU does the work; only set by backends that can use one. */
  readonly gpu?: boolean;
  /** `webgpu` only: the adapter that ran it (a software one says isFallbackAdapter: true). */
  readonly adapter?: AdapterReport;
}

export interface SelectOptions {
  /** ORT intra-op threads; default: all cores. Ignored by `cpu` (always 1). */
  readonly threads?: number;
  /** `tensorflow` only: require the GPU build to be running on a GPU. */
  readonly gpu?: boolean;
  /** `ort` only: raise glibc's mmap/trim thresholds (ort/malloc.ts); default true. */
  readonly tuneMalloc?: boolean;
}

let current: EngineIdentity | undefined;

export function isBackendName(name: string): name is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(name);
}

/** The identity of the backend selected last, or undefined before any selection. */
export function currentEngine(): EngineIdentity | undefined {
  return current;
}

/**
 * Makes `name` the current tfjs backend and returns its identity. Throws an EngineError
 * (errors.ts) when the backend cannot run here; the previously selected backend stays current.
 */
export async function selectBackend(
  name: string = DEFAULT_BACKEND,
  options: SelectOptions = {},
): Promise<EngineIdentity> {
  if (name === AUTO_BACKEND) name = (await chooseBackend(name, "--backend")).backend;
  if (name === "tensorflow-gpu") {
    name = "tensorflow";
    options = { ...options, gpu: true };
  }
  if (!isBackendName(name)) throw new UnknownBackendError(name, BACKEND_CHOICES);
  const base = { tfjs: tf.version_core, [runtimeName()]: runtimeVersion() };
  const cores = Math.max(1, navigator.hardwareConcurrency || 1);
  switch (name) {
    case "ort": {
      await loadOrtBinding();
      await prepareFfi();
      if (options.tuneMalloc ?? true) tuneMalloc();
      const threads = options.threads ?? cores;
      configureOrt({ threads });
      registerOrtBackend();
      await setOrThrow(ORT_BACKEND_NAME);
      current = {
        backend: "ort",
        version: { ...base, "onnxruntime-node": await ortVersion() },
        threads,
      };
      break;
    }
    case "cpu": {
      registerCpuFixes();
      registerGroupNormKernels();
      await setOrThrow("cpu");
      current = { backend: "cpu", version: base, threads: 1 };
      break;
    }
    case "tensorflow": {
      const tfe = await loadTensorflowBackend(options.gpu ?? false);
      current = {
        backend: "tensorflow",
        version: { ...base, [tfe.pkg]: tfe.version },
        threads: options.threads ?? cores,
        gpu: tfe.gpu,
      };
      break;
    }
    case "webgpu": {
      const adapter = await loadWebgpuBackend();
      current = {
        backend: "webgpu",
        version: {
          ...base,
          "tfjs-backend-webgpu": WEBGPU_PACKAGE_VERSION,
          "diffrun-webgpu-fixes": WEBGPU_FIXES_VERSION,
        },
        threads: 1,
        gpu: !adapter.isFallbackAdapter,
        adapter,
      };
      break;
    }
  }
  return current;
}

async function setOrThrow(backendName: string): Promise<void> {
  if (!(await tf.setBackend(backendName))) {
    throw new Error(`tfjs could not initialise its '${backendName}' backend`);
  }
}
