/**
 * Data-movement kernels on ORT: Transpose, Concat, SplitV, Slice (strided windows), Tile, PadV2.
 *
 * tfjs's JS versions walk every element through a generic index computation; concatenating
 * NHWC skip connections along channels or splitting attention heads costs milliseconds there.
 * Contiguous slices stay in JS: tfjs copies those with one `subarray`.
 */
import { tf } from "../../../tensor/tf.ts";
import { ints } from "../onnxGraph.ts";
import { runGraph } from "../sessionCache.ts";
import {
  f32,
  isF32,
  ortThresholds,
  output,
  size,
  sk,
  type TensorInfo,
  withFallback,
} from "./util.ts";

function big(x: TensorInfo): boolean {
  return isF32(x) && size(x.shape) >= ortThresholds().moveElements;
}

export const transposeConfig = withFallback("Transpose", (args) => {
  const { x } = args.inputs;
  if (!big(x!)) return undefined;
  const perm = (args.attrs?.perm as number[]).map(Number);
  const outShape = perm.map((p) => x!.shape[p]!);
  const build = () => ({
    inputs: [{ name: "x", dims: x!.shape }],
    outputs: [{ name: "y", dims: outShape }],
    nodes: [{ op: "Transpose", inputs: ["x"], outputs: ["y"], attrs: { perm: { ints: perm } } }],
  });
  const key = `Transpose|${sk(x!.shape)}|${perm.join(",")}`;
  const [y] = runGraph(key, build, [{ data: f32(args.backend, x!), dims: x!.shape }], [outShape]);
  return output(args.backend, outShape, y!);
});

export const concatConfig = withFallback("Concat", (args) => {
  const xs = (Object.values(args.inputs) as TensorInfo[]).filter((t) => size(t.shape) > 0);
  if (xs.length < 2 || !isF32(...xs)) return undefined;
  const rank = xs[0]!.shape.length;
  const axis = tf.util.parseAxisParam(args.attrs?.axis as number, xs[0]!.shape)[0]!;
  const outShape = tf.backend_util.computeOutShape(xs.map((t) => t.shape), axis);
  if (size(outShape) < ortThresholds().moveElements || rank === 0) return undefined;
  const names = xs.map((_, k) => `x${k}`);
  const build = () => ({
    inputs: xs.map((t, k) => ({ name: `x${k}`, dims: t.shape })),
    outputs: [{ name: "y", dims: outShape }],
    nodes: [{ op: "Concat", inputs: names, outputs: ["y"], attrs: { axis: { i: axis } } }],
  });
  const key = `Concat|${xs.map((t) => sk(t.shape)).join("|")}|${axis}`;
  const feeds = xs.map((t) => ({ data: f32(args.backend, t), dims: t.shape }));
  const [y] = runGraph(key, build, feeds, [outShape]);
  return output(args.backend, outShape, y!);
});

export const splitVConfig = withFallback("SplitV", (args) => {
  const { x } = args.inputs;
  if (!big(x!)) return undefined;
  const a = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
  const axis = tf.util.parseAxisParam(a.axis, x!.shape)[0]!;
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, a.numOrSizeSplits, axis);
  const outShapes = sizes.map((s) => x!.shape.map((d, i) => (i === axis ? s : d)));
  const names = sizes.map((_, k) => `y${k}`);
  const build = () => ({
    inputs: [{ name: "x", dims: x!.shape }],
    outputs: outShapes.map((dims, k) => ({ name: `y${k}`, dims })),
    nodes: [{ op: "Split", inputs: ["x", "split"], outputs: names, attrs: { axis: { i: axis } } }],
    consts: [ints("split", sizes)],
  });
  const key = `SplitV|${sk(x!.shape)}|${sizes.join(",")}|${axis}`;
  const ys = runGraph(key, build, [{ data: f32(args.backend, x!), dims: x!.shape }], outShapes);
  return ys.map((y, k) => output(args.backend, outShapes[k]!, y));
});

export const sliceConfig = withFallback("Slice", (args) => {
  const { x } = args.inputs;
  if (!big(x!)) return undefined;
  const a = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
  const [begin, sz] = tf.slice_util.parseSliceParams(x as tf.Tensor, a.begin, a.size) as [
    number[],
    number[],
  ];
  tf.slice_util.assertParamsValid(x as tf.Tensor, begin, sz);
  if (tf.slice_util.isSliceContinous(x!.shape, begin, sz)) return undefined; // JS: one subarray
  const axes = begin.map((_, i) => i);
  const build = () => ({
    inputs: [{ name: "x", dims: x!.shape }],
    outputs: [{ name: "y", dims: sz }],
    nodes: [{ op: "Slice", inputs: ["x", "b", "e", "a"], outputs: ["y"] }],
    consts: [ints("b", begin), ints("e", begin.map((b, i) => b + sz[i]!)), ints("a", axes)],
  });
  const key = `Slice|${sk(x!.shape)}|${begin.join(",")}|${sz.join(",")}`;
  const [y] = runGraph(key, build, [{ data: f32(args.backend, x!), dims: x!.shape }], [sz]);
  return output(args.backend, sz, y!);
});

export const tileConfig = withFallback("Tile", (args) => {
  const { x } = args.inputs;
  const reps = (args.attrs?.reps as number[]).map(Number);
  const outShape = x!.shape.map((d, i) => d * reps[i]!);
  if (!isF32(x) || size(outShape) < ortThresholds().moveElements) return undefined;
  const build = () => ({
    inputs: [{ name: "x", dims: x!.shape }],
    outputs: [{ name: "y", dims: outShape }],
    nodes: [{ op: "Tile", inputs: ["x", "r"], outputs: ["y"] }],
    consts: [ints("r", reps)],
  });
  const key = `Tile|${sk(x!.shape)}|${reps.join(",")}`;
  const [y] = runGraph(key, build, [{ data: f32(args.backend, x!), dims: x!.shape }], [outShape]);
  return output(args.backend, outShape, y!);
});

export const padV2Config = withFallback("PadV2", (args) => {
  const { x } = args.inputs;
  if (!big(x!)) return undefined;
  const a = args.attrs as unknown as { paddings: [number, number][]; constantValue: number };
  const outShape = x!.shape.map((d, i) => d + a.paddings[i]![0] + a.paddings[i]![1]);
  const pads = [...a.paddings.map((p) => p[0]), ...a.paddings.map((p) => p[1])];
  const build = () => ({
    inputs: [{ name: "x", dims: x!.shape }],
    outputs: [{ name: "y", dims: outShape }],
    nodes: [{ op: "Pad", inputs: ["x", "p", "v"], outputs: ["y"] }],
    consts: [ints("p", pads), { name: "v", dims: [], float32: [a.constantValue] }],
  });
  const key = `PadV2|${sk(x!.shape)}|${pads.join(",")}|${a.constantValue}`;
  const [y] = runGraph(key, build, [{ data: f32(args.backend, x!), dims: x!.shape }], [outShape]);
  return output(args.backend, outShape, y!);
});
