/**
 * Fixes of tfjs-backend-webgpu 4.22.0 kernels, registered when the `webgpu` backend loads.
 *
 * AddN: the webgpu kernel binds every input as a storage buffer of one shader. A device allows
 * `limits.maxStorageBuffersPerShaderStage` of them, the output included; tfjs's device has the
 * WebGPU default, 8, whatever the adapter allows (llvmpipe: 32). So tfjs's
 * AddN of 8 or more tensors fails validation and returns a buffer of zeros or stale data without
 * an error (concat splits its inputs; AddN does not). AdamW's global gradient norm is an AddN over
 * every parameter: on webgpu it came out 0 or too small, so gradients went unclipped. The fix sums
 * at most `limit − 1` inputs per kernel call and then sums the partial sums the same way.
 */
import { tf } from "../tensor/tf.ts";

interface WebgpuBackendLike {
  readonly device: { readonly limits: { readonly maxStorageBuffersPerShaderStage: number } };
  disposeData(dataId: object): void;
}

/** How many inputs one AddN shader can bind on `backend` (one storage buffer is the output). */
export const addNInputLimit = (backend: WebgpuBackendLike): number =>
  Math.max(2, backend.device.limits.maxStorageBuffersPerShaderStage - 1);

let registered = false;

/** Wraps the webgpu AddN kernel so that it never binds more inputs than the device allows. */
export function registerWebgpuFixes(): void {
  if (registered) return;
  const original = tf.getKernel(tf.AddN, "webgpu");
  if (!original) return; // the webgpu backend is not loaded
  registered = true;
  const addN = original.kernelFunc;
  const chunked = (args: { inputs: tf.NamedTensorInfoMap; backend: object }): tf.TensorInfo => {
    const backend = args.backend as unknown as WebgpuBackendLike;
    const limit = addNInputLimit(backend);
    let tensors = args.inputs as unknown as tf.TensorInfo[];
    const made: tf.TensorInfo[] = [];
    while (tensors.length > limit) {
      const partial: tf.TensorInfo[] = [];
      for (let i = 0; i < tensors.length; i += limit) {
        const group = tensors.slice(i, i + limit);
        if (group.length === 1) {
          partial.push(group[0]!);
          continue;
        }
        const sum = addN({ ...args, inputs: group as unknown as tf.NamedTensorInfoMap, attrs: {} });
        made.push(sum as tf.TensorInfo);
        partial.push(sum as tf.TensorInfo);
      }
      tensors = partial;
    }
    const out = addN({ ...args, inputs: tensors as unknown as tf.NamedTensorInfoMap, attrs: {} });
    for (const t of made) backend.disposeData(t.dataId);
    return out as tf.TensorInfo;
  };
  tf.unregisterKernel(tf.AddN, "webgpu");
  tf.registerKernel({ ...original, kernelFunc: chunked as unknown as tf.KernelFunc });
}
