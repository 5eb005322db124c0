/**
 * Nearest-neighbour resizing on ORT for integer upscale factors (the UNet's 2× upsampling), and
 * its gradient.
 *
 * For an integer factor f (and alignCorners off), tfjs's forward copies input row ⌊r / f⌋ to
 * output row r, with or without half-pixel centers. That is a broadcast (Expand) of a
 * [N, H, 1, W, 1, C] view, and the gradient is a sum over the f×f block: a reshape and a
 * ReduceSum. Other sizes use the JS kernels: tfjs's forward, and for the gradient the corrected
 * kernel of cpuFixes.ts (tfjs 4.22's is wrong for batch > 1).
 */
import { ints } from "../onnxGraph.ts";
import { runGraph } from "../sessionCache.ts";
import { f32, isF32, ortThresholds, output, size, sk, withFallback } from "./util.ts";

/** The integer factors [fh, fw] when this resize is a plain block copy, else undefined. */
function blockFactors(
  inShape: readonly number[],
  outH: number,
  outW: number,
  alignCorners: boolean,
): [number, number] | undefined {
  const [, h, w] = inShape as [number, number, number, number];
  if (alignCorners && (h > 1 || w > 1)) return undefined;
  if (outH % h !== 0 || outW % w !== 0) return undefined;
  return [outH / h, outW / w];
}

export const resizeNearestNeighborConfig = withFallback("ResizeNearestNeighbor", (args) => {
  const { images } = args.inputs;
  const a = args.attrs as unknown as { alignCorners: boolean; size: [number, number] };
  const [outH, outW] = a.size;
  const [n, h, w, c] = images!.shape as [number, number, number, number];
  const outShape = [n, outH, outW, c];
  if (!isF32(images) || size(outShape) < ortThresholds().moveElements) return undefined;
  const f = blockFactors(images!.shape, outH, outW, a.alignCorners);
  if (f === undefined) return undefined;
  const build = () => ({
    inputs: [{ name: "x", dims: images!.shape }],
    outputs: [{ name: "y", dims: outShape }],
    nodes: [
      { op: "Reshape", inputs: ["x", "v"], outputs: ["x6"] },
      { op: "Expand", inputs: ["x6", "e"], outputs: ["y6"] },
      { op: "Reshape", inputs: ["y6", "o"], outputs: ["y"] },
    ],
    consts: [
      ints("v", [n, h, 1, w, 1, c]),
      ints("e", [n, h, f[0], w, f[1], c]),
      ints("o", outShape),
    ],
  });
  const key = `ResizeNN|${sk(images!.shape)}|${outH}x${outW}`;
  const feeds = [{ data: f32(args.backend, images!), dims: images!.shape }];
  const [y] = runGraph(key, build, feeds, [outShape]);
  return output(args.backend, outShape, y!);
});

export const resizeNearestNeighborGradConfig = withFallback("ResizeNearestNeighborGrad", (args) => {
  const { images, dy } = args.inputs;
  const a = args.attrs as unknown as { alignCorners: boolean };
  const [n, h, w, c] = images!.shape as [number, number, number, number];
  const [, outH, outW] = dy!.shape as [number, number, number, number];
  if (!isF32(dy) || size(dy!.shape) < ortThresholds().moveElements) return undefined;
  const f = blockFactors(images!.shape, outH, outW, a.alignCorners);
  if (f === undefined) return undefined;
  const build = () => ({
    inputs: [{ name: "dy", dims: dy!.shape }],
    outputs: [{ name: "dx", dims: images!.shape }],
    nodes: [
      { op: "Reshape", inputs: ["dy", "v"], outputs: ["d6"] },
      {
        op: "ReduceSum",
        inputs: ["d6", "axes"],
        outputs: ["dx"],
        attrs: { keepdims: { i: 0 } },
      },
    ],
    consts: [ints("v", [n, h, f[0], w, f[1], c]), ints("axes", [2, 4])],
  });
  const key = `ResizeNNGrad|${sk(dy!.shape)}|${h}x${w}`;
  const [dx] = runGraph(key, build, [{ data: f32(args.backend, dy!), dims: dy!.shape }], [
    images!.shape,
  ]);
  return output(args.backend, images!.shape, dx!);
});
