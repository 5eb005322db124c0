/**
 * The `webgpu` backend: a documented placeholder.
 *
 * @tensorflow/tfjs-backend-webgpu would run under Deno's WebGPU, but on these machines the only
 * adapter is a software Vulkan one (llvmpipe), measured at ~0.006× PyTorch for the UNet step,
 * and without a real GPU there is nothing to test it on. Asking for it fails clearly instead of
 * quietly running something else.
 */
import { WebgpuUnavailableError } from "./errors.ts";

export function loadWebgpuBackend(): Promise<never> {
  return Promise.reject(new WebgpuUnavailableError());
}
