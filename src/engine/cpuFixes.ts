/**
 * Corrected JS kernels for bugs in @tensorflow/tfjs-backend-cpu 4.22, registered for the `cpu`
 * backend (and inherited by `ort`, which copies the cpu kernels).
 *
 * ResizeNearestNeighborGrad: the 4.22 kernel indexes dy with the *input's* batch stride, so every
 * batch item after the first reads the wrong gradient, and it ignores `halfPixelCenters`. Any
 * UNet that upsamples with resizeNearestNeighbor trains on wrong gradients at batch > 1.
 * The replacement scatters each dy pixel onto the source pixel the forward kernel read, with
 * exactly the forward kernel's index arithmetic, so it is the gradient of that forward by
 * construction.
 */
import { tf } from "../tensor/tf.ts";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";

interface ResizeGradArgs {
  inputs: { images?: tf.TensorInfo; dy?: tf.TensorInfo };
  backend: MathBackendCPU;
  attrs: { alignCorners?: boolean; halfPixelCenters?: boolean };
}

/** For each output row (or column), the input row it copies in tfjs's forward kernel. */
export function nearestSourceIndex(
  inSize: number,
  outSize: number,
  alignCorners: boolean,
  halfPixelCenters: boolean,
): Int32Array {
  const effIn = alignCorners && outSize > 1 ? inSize - 1 : inSize;
  const effOut = alignCorners && outSize > 1 ? outSize - 1 : outSize;
  const ratio = effIn / effOut;
  const src = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const frac = halfPixelCenters ? ratio * (o + 0.5) : ratio * o;
    let s = Math.min(inSize - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
    if (halfPixelCenters) s = Math.max(0, s);
    src[o] = s;
  }
  return src;
}

export function resizeNearestNeighborGradFixed(args: ResizeGradArgs): tf.TensorInfo {
  const { images, dy } = args.inputs;
  if (images === undefined || dy === undefined) {
    throw new Error("ResizeNearestNeighborGrad needs inputs 'images' and 'dy'");
  }
  const [batch, inH, inW, depth] = images.shape as [number, number, number, number];
  const [, outH, outW] = dy.shape as [number, number, number, number];
  const align = args.attrs.alignCorners ?? false;
  const half = args.attrs.halfPixelCenters ?? false;
  const rows = nearestSourceIndex(inH, outH, align, half);
  const cols = nearestSourceIndex(inW, outW, align, half);
  const dyv = args.backend.data.get(dy.dataId).values as Float32Array;
  const dx = new Float32Array(batch * inH * inW * depth);
  let o = 0;
  for (let b = 0; b < batch; b++) {
    const xb = b * inH * inW * depth;
    for (let r = 0; r < outH; r++) {
      const xr = xb + rows[r]! * inW * depth;
      for (let c = 0; c < outW; c++) {
        const xc = xr + cols[c]! * depth;
        for (let d = 0; d < depth; d++) dx[xc + d]! += dyv[o++]!;
      }
    }
  }
  return args.backend.makeTensorInfo([...images.shape], "float32", dx);
}

let registered = false;

/** Replaces the buggy cpu kernels; idempotent. */
export function registerCpuFixes(): void {
  if (registered) return;
  registered = true;
  tf.unregisterKernel(tf.ResizeNearestNeighborGrad, "cpu");
  tf.registerKernel({
    kernelName: tf.ResizeNearestNeighborGrad,
    backendName: "cpu",
    kernelFunc: resizeNearestNeighborGradFixed as unknown as tf.KernelFunc,
  });
}
