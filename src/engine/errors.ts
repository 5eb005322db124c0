/**
 * The closed set of errors the engine switch raises, each tagged and with a message built from
 * its fields: what could not be done, with which input, and what to do about it.
 */

/** The requested backend name is not one of `ort | cpu | tensorflow | webgpu`. */
export class UnknownBackendError extends Error {
  readonly _tag = "UnknownBackendError";
  constructor(readonly requested: string, readonly known: readonly string[]) {
    super(`unknown tensor backend '${requested}'; choose one of: ${known.join(", ")}`);
    this.name = "UnknownBackendError";
  }
}

/** onnxruntime could not be loaded; the `ort` engine refuses to start instead of using `cpu`. */
export class OrtUnavailableError extends Error {
  readonly _tag = "OrtUnavailableError";
  constructor(readonly reason: string) {
    super(
      `the 'ort' backend needs onnxruntime-node's native library, which could not be loaded ` +
        `(${reason}). Install onnxruntime-node@1.30.0 (lifecycle scripts off) and run with ` +
        `--allow-ffi --allow-read --allow-env, or ask for the slow pure-JS backend explicitly ` +
        `with 'cpu'.`,
    );
    this.name = "OrtUnavailableError";
  }
}

/** `@tensorflow/tfjs-node(-gpu)` is not installed or its native library does not load. */
export class TensorflowUnavailableError extends Error {
  readonly _tag = "TensorflowUnavailableError";
  constructor(readonly pkg: string, readonly reason: string) {
    super(
      `the 'tensorflow' backend needs ${pkg}@4.22.0, which could not be loaded (${reason}). ` +
        `Add "${pkg}": "4.22.0" to package.json "dependencies", install it with its ` +
        `install script allowed (deno install --allow-scripts=npm:${pkg}), and run with ` +
        `--allow-ffi; or use the default 'ort' backend.`,
    );
    this.name = "TensorflowUnavailableError";
  }
}

/** A GPU was asked for, but TensorFlow's binding runs on the CPU (CUDA libraries missing). */
export class TensorflowGpuMissingError extends Error {
  readonly _tag = "TensorflowGpuMissingError";
  constructor(readonly pkg: string) {
    super(
      `a GPU was asked for, but ${pkg} runs on the CPU: libtensorflow 2.9.1 needs the CUDA 11.2 ` +
        `and cuDNN 8.1 libraries (libcudart.so.11.0, libcublas.so.11, libcudnn.so.8) on ` +
        `LD_LIBRARY_PATH and an NVIDIA driver; install them, or drop the GPU request.`,
    );
    this.name = "TensorflowGpuMissingError";
  }
}

/** The WebGPU backend is a placeholder in this build. */
export class WebgpuUnavailableError extends Error {
  readonly _tag = "WebgpuUnavailableError";
  constructor(readonly reason: string) {
    super(
      `the 'webgpu' backend found no usable WebGPU adapter (${reason}). Install a GPU driver ` +
        `with Vulkan support, or for a software GPU (slow, for tests) Mesa's Vulkan drivers: ` +
        `'apt-get install mesa-vulkan-drivers' on Debian/Ubuntu; run under Deno (Bun has no ` +
        `WebGPU). Or choose 'ort' (the CPU default).`,
    );
    this.name = "WebgpuUnavailableError";
  }
}

/** A training loop's live tensor count keeps growing (see leakGuard.ts). */
export class TensorLeakError extends Error {
  readonly _tag = "TensorLeakError";
  constructor(readonly step: number, readonly from: number, readonly to: number, window: number) {
    super(
      `live tensors grew from ${from} to ${to} over the ${window} steps up to step ${step}: the ` +
        `training step leaks tensors. Wrap the step in tf.tidy, dispose batches, and update ` +
        `variables with assign().`,
    );
    this.name = "TensorLeakError";
  }
}

/** What RssGrowthError reports (rssGuard.ts); bytes throughout. */
export interface RssGrowth {
  readonly step: number;
  readonly baselineStep: number;
  readonly baselineBytes: number;
  readonly lowestBytes: number;
  readonly allowanceBytes: number;
  readonly window: number;
  readonly liveTensors?: number;
  /** What was measured; default "resident memory (RSS)". */
  readonly memory?: string;
}

/** A training loop's resident memory keeps growing past its allowance (see rssGuard.ts). */
export class RssGrowthError extends Error {
  readonly _tag = "RssGrowthError";
  constructor(readonly growth: RssGrowth) {
    const mb = (b: number) => `${Math.round(b / 2 ** 20)} MB`;
    const g = growth;
    super(
      `${g.memory ?? "resident memory (RSS)"} grew from ${
        mb(g.baselineBytes)
      } after warm-up (step ` +
        `${g.baselineStep}) to at least ${mb(g.lowestBytes)} over the ${g.window} steps up to ` +
        `step ${g.step}, more than the ${mb(g.allowanceBytes)} allowed: the training loop leaks ` +
        `memory${
          g.liveTensors === undefined ? "" : ` while the live tensor count is ${g.liveTensors}`
        }. Look for per-step data kept in long-lived arrays or maps (dataSync() copies, metric ` +
        `histories of tensors), caches without a bound, and native objects never disposed.`,
    );
    this.name = "RssGrowthError";
  }
}

export type EngineError =
  | UnknownBackendError
  | OrtUnavailableError
  | TensorflowUnavailableError
  | TensorflowGpuMissingError
  | WebgpuUnavailableError
  | TensorLeakError
  | RssGrowthError;
