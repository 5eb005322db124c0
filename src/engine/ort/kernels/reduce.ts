/**
 * Reductions and softmax on ORT: Sum, Mean, Max, Min over any axes, and Softmax.
 *
 * tfjs's JS reductions first transpose the reduced axes to the end through its generic (slow)
 * transpose loop; GroupNorm statistics, loss means and the broadcast-gradient sums of a UNet
 * step all land here.
 */
import { tf } from "../../../tensor/tf.ts";
import { ints, type NodeSpec } from "../onnxGraph.ts";
import { runGraph } from "../sessionCache.ts";
import { f32, isF32, ortThresholds, output, size, sk, withFallback } from "./util.ts";

const KEEP0 = { keepdims: { i: 0 } };

/**
 * Merges neighbouring axes that are both reduced or both kept: [64, 32, 32, 32] over (0, 1, 2)
 * becomes [65536, 32] over (0), which hits ORT's fast reduction loops instead of its generic one
 * (2× faster for the bias gradients of a UNet).
 */
export function mergeAxes(shape: readonly number[], axes: readonly number[]) {
  const reduced = new Set(axes);
  const merged: number[] = [];
  const mergedAxes: number[] = [];
  let last: boolean | undefined;
  shape.forEach((d, i) => {
    if (d === 1) return; // size-1 axes change nothing
    const r = reduced.has(i);
    if (r === last) merged[merged.length - 1]! *= d;
    else {
      merged.push(d);
      if (r) mergedAxes.push(merged.length - 1);
      last = r;
    }
  });
  return merged.length === 0 ? { shape: [1], axes: [0] } : { shape: merged, axes: mergedAxes };
}

/** Chunks to split a reduced leading axis into (1 = no split): equal chunks, so means stay exact. */
function leadingSplit(shape: readonly number[], axes: readonly number[]): number {
  if (axes[0] !== 0 || shape[0]! < 4096) return 1;
  return [64, 32, 16, 8].find((p) => shape[0]! % p === 0) ?? 1;
}

function reduction(name: string, onnxOp: string): tf.KernelConfig {
  return withFallback(name, (args) => {
    const { x } = args.inputs;
    if (!isF32(x) || size(x!.shape) < ortThresholds().moveElements) return undefined;
    // Max names its axes `reductionIndices`, the others `axis`; null (tf.sum(x), tf.mean(x))
    // means every axis, an empty list none
    const a = args.attrs as unknown as {
      axis?: number | number[] | null;
      reductionIndices?: number | number[] | null;
      keepDims: boolean;
    };
    const named = "reductionIndices" in a ? a.reductionIndices : a.axis;
    const axes = named == null
      ? x!.shape.map((_, i) => i)
      : tf.util.parseAxisParam(named, x!.shape);
    if (axes.length === 0) return undefined;
    let [outShape] = tf.backend_util.computeOutAndReduceShapes(x!.shape, axes);
    if (a.keepDims) outShape = tf.backend_util.expandShapeToKeepDim(outShape, axes);
    const key = `${name}|${sk(x!.shape)}|${axes.join(",")}|${a.keepDims}`;
    const m = mergeAxes(x!.shape, axes);
    if (m.axes.length === 0) return undefined; // only size-1 axes: ONNX would reduce everything
    const build = () => {
      const consts = [ints("merged", m.shape), ints("out", outShape)];
      const reduce = (input: string, out: string, axes: number[]): NodeSpec => {
        // ReduceSum takes axes as an input since opset 13, the others as an attribute until 18
        if (onnxOp !== "ReduceSum") {
          return {
            op: onnxOp,
            inputs: [input],
            outputs: [out],
            attrs: { axes: { ints: axes }, ...KEEP0 },
          };
        }
        consts.push(ints(`${out}_axes`, axes));
        return { op: onnxOp, inputs: [input, `${out}_axes`], outputs: [out], attrs: KEEP0 };
      };
      const nodes: NodeSpec[] = [];
      const p = leadingSplit(m.shape, m.axes);
      if (p > 1) {
        // ORT reduces a huge leading axis on one thread, ~10× slower than a middle axis: split
        // it into [p, rows / p], reduce the middle, then the p partial results
        consts.push(ints("split", [p, m.shape[0]! / p, ...m.shape.slice(1)]));
        nodes.push(
          { op: "Reshape", inputs: ["x", "split"], outputs: ["xs"] },
          reduce("xs", "part", m.axes.map((a) => a + 1)),
          reduce("part", "r", [0]),
        );
      } else {
        nodes.push(
          { op: "Reshape", inputs: ["x", "merged"], outputs: ["xm"] },
          reduce("xm", "r", m.axes),
        );
      }
      nodes.push({ op: "Reshape", inputs: ["r", "out"], outputs: ["y"] });
      return {
        inputs: [{ name: "x", dims: x!.shape }],
        outputs: [{ name: "y", dims: outShape }],
        nodes,
        consts,
      };
    };
    const [y] = runGraph(key, build, [{ data: f32(args.backend, x!), dims: x!.shape }], [
      outShape,
    ]);
    return output(args.backend, outShape, y!);
  });
}

export const reduceConfigs = [
  reduction("Sum", "ReduceSum"),
  reduction("Mean", "ReduceMean"),
  reduction("Max", "ReduceMax"),
  reduction("Min", "ReduceMin"),
];

export const softmaxConfig = withFallback("Softmax", (args) => {
  const { logits } = args.inputs;
  if (!isF32(logits) || size(logits!.shape) < ortThresholds().moveElements) return undefined;
  const rank = logits!.shape.length;
  const dim = Number(args.attrs?.dim ?? -1);
  const axis = dim < 0 ? dim + rank : dim;
  const key = `Softmax|${sk(logits!.shape)}|${axis}`;
  const build = () => ({
    inputs: [{ name: "x", dims: logits!.shape }],
    outputs: [{ name: "y", dims: logits!.shape }],
    nodes: [{ op: "Softmax", inputs: ["x"], outputs: ["y"], attrs: { axis: { i: axis } } }],
  });
  const [y] = runGraph(key, build, [{ data: f32(args.backend, logits!), dims: logits!.shape }], [
    logits!.shape,
  ]);
  return output(args.backend, logits!.shape, y!);
});
