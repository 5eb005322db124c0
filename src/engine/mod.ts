/**
 * The tensor engine's public surface: pick a backend, identify it, and the few ops and helpers
 * that training code uses beyond plain tfjs. Import from here; the files behind it may move.
 *
 *   const engine = await selectBackend("ort", { threads: 2 }); // → EngineIdentity for manifests
 *   const choice = await chooseBackend("auto", "default");     // webgpu on a hardware GPU, else ort
 *   const h = groupNormSilu(x, gamma, beta, 8);                 // fused op with its own gradient
 *   const guard = createLeakGuard(); … guard.check();           // once per training step:
 *                                                               // live tensors and RSS
 */
export {
  BACKEND_NAMES,
  type BackendName,
  currentEngine,
  DEFAULT_BACKEND,
  type EngineIdentity,
  isBackendName,
  selectBackend,
  type SelectOptions,
} from "./backend.ts";
export {
  type EngineError,
  OrtUnavailableError,
  type RssGrowth,
  RssGrowthError,
  TensorflowGpuMissingError,
  TensorflowUnavailableError,
  TensorLeakError,
  UnknownBackendError,
  WebgpuUnavailableError,
} from "./errors.ts";
export {
  AUTO_BACKEND,
  type BackendChoice,
  type BackendSource,
  chooseBackend,
} from "./chooseBackend.ts";
export { type AdapterProbe, type AdapterReport, probeAdapter } from "./webgpuAdapter.ts";
export { groupNorm, groupNormSilu } from "./groupNorm.ts";
export { createLeakGuard, type LeakGuard, type LeakGuardOptions } from "./leakGuard.ts";
export { createRssGuard, type RssGuard, type RssGuardOptions } from "./rssGuard.ts";
export { type MemorySnapshot, memorySnapshot } from "./memoryStats.ts";
export { type KernelProfile, type KernelTiming, startKernelProfile } from "./kernelProfiler.ts";
export { configureOrt, type OrtConfig, ortStats } from "./ort/sessionCache.ts";
export { type OrtThresholds, setOrtThresholds } from "./ort/kernels/util.ts";
export {
  capturedFraction,
  captureForward,
  type CaptureOptions,
  type CaptureShare,
  captureShareSince,
  type CaptureStats,
  captureStats,
  captureStep,
  setMaxCapturedPrograms,
} from "./ort/graphCapture.ts";
