/**
 * Matrix products on ORT: BatchMatMul and _FusedMatMul (bias + activation).
 *
 * Transposed operands use ORT's contrib FusedMatMul (transA / transB flags), so no transposed
 * copy is ever materialised. Batch dimensions broadcast numpy-style in both tfjs and ONNX.
 */
import { tf } from "../../../tensor/tf.ts";
import type { ConstSpec, NodeSpec } from "../onnxGraph.ts";
import { runGraph } from "../sessionCache.ts";
import { activationNodes } from "./activation.ts";
import {
  type Args,
  f32,
  isF32,
  ortThresholds,
  output,
  sk,
  type TensorInfo,
  withFallback,
} from "./util.ts";

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
  activation?: string;
  leakyreluAlpha?: number;
}

function matmul(
  args: Args,
  a: TensorInfo,
  b: TensorInfo,
  bias: TensorInfo | undefined,
  attrs: MatMulAttrs,
): TensorInfo | undefined {
  if (!isF32(a, b, bias) || a.shape.length < 2 || b.shape.length < 2) return undefined;
  const ra = a.shape.length, rb = b.shape.length;
  const m = attrs.transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = attrs.transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const n = attrs.transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  const kb = attrs.transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  if (k !== kb) return undefined; // let the JS kernel raise tfjs's own error
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(
    a.shape.slice(0, -2),
    b.shape.slice(0, -2),
  );
  const outShape = [...outer, m, n];
  if (tf.util.sizeFromShape(outShape) * k < ortThresholds().flops) return undefined;
  const activation = attrs.activation ?? "linear";
  const alpha = attrs.leakyreluAlpha ?? 0.2;
  const act = activationNodes(activation, "pre", "y", alpha);
  if (act === undefined) return undefined;
  if (bias !== undefined) {
    // the bias must broadcast onto the output without growing it
    const bs = tf.broadcast_util.assertAndGetBroadcastShape(outShape, bias.shape);
    if (bs.length !== outShape.length || bs.some((d, i) => d !== outShape[i])) return undefined;
  }
  const ta = attrs.transposeA ? 1 : 0, tb = attrs.transposeB ? 1 : 0;
  const key = `MatMul|${sk(a.shape)}|${sk(b.shape)}|${ta}${tb}|` +
    `${bias ? sk(bias.shape) : "-"}|${activation}${alpha}`;
  const build = () => {
    const consts: ConstSpec[] = [...act.consts];
    const nodes: NodeSpec[] = [];
    const mm = bias !== undefined ? "mm" : "pre";
    if (ta || tb) {
      nodes.push({
        op: "FusedMatMul",
        domain: "com.microsoft",
        inputs: ["a", "b"],
        outputs: [mm],
        attrs: { transA: { i: ta }, transB: { i: tb } },
      });
    } else {
      nodes.push({ op: "MatMul", inputs: ["a", "b"], outputs: [mm] });
    }
    if (bias !== undefined) nodes.push({ op: "Add", inputs: ["mm", "bias"], outputs: ["pre"] });
    nodes.push(...act.nodes);
    return {
      inputs: [
        { name: "a", dims: a.shape },
        { name: "b", dims: b.shape },
        ...(bias !== undefined ? [{ name: "bias", dims: bias.shape }] : []),
      ],
      outputs: [{ name: "y", dims: outShape }],
      nodes,
      consts,
    };
  };
  const feeds = [
    { data: f32(args.backend, a), dims: a.shape },
    { data: f32(args.backend, b), dims: b.shape },
    ...(bias !== undefined ? [{ data: f32(args.backend, bias), dims: bias.shape }] : []),
  ];
  const [y] = runGraph(key, build, feeds, [outShape]);
  return output(args.backend, outShape, y!);
}

export const batchMatMulConfig = withFallback("BatchMatMul", (args) => {
  const { a, b } = args.inputs;
  return matmul(args, a!, b!, undefined, args.attrs as unknown as MatMulAttrs);
});

export const fusedMatMulConfig = withFallback("_FusedMatMul", (args) => {
  const { a, b, bias } = args.inputs;
  return matmul(args, a!, b!, bias, args.attrs as unknown as MatMulAttrs);
});
