/**
 * Elementwise kernels on ORT: binary arithmetic with numpy broadcasting, common unary maths,
 * clipping and AddN.
 *
 * Why: with convolutions on ORT, tfjs's generic broadcasting loop (~25 ns per element) took nearly
 * all of a UNet step (127 s → 6.6 s per step once these moved). Same-shape ops are fast in JS,
 * so they move only above a larger size (see util.ts thresholds).
 */
import { tf } from "../../../tensor/tf.ts";
import type { ConstSpec, NodeSpec } from "../onnxGraph.ts";
import { runGraph } from "../sessionCache.ts";
import {
  type Args,
  f32,
  isF32,
  ortThresholds,
  output,
  size,
  sk,
  type TensorInfo,
  withFallback,
} from "./util.ts";

interface Body {
  readonly nodes: NodeSpec[];
  readonly consts?: ConstSpec[];
}

/** Runs a graph whose inputs are `xs` (named x0, x1, ...) and whose one output `y` has `outShape`. */
function elementwise(
  args: Args,
  name: string,
  xs: readonly TensorInfo[],
  outShape: readonly number[],
  attrKey: string,
  body: () => Body,
): TensorInfo | undefined {
  if (!isF32(...xs)) return undefined;
  const n = size(outShape);
  const same = xs.every((x) => x.shape.length === outShape.length && size(x.shape) === n);
  const t = ortThresholds();
  if (n < (same ? t.sameShapeElements : t.broadcastElements)) return undefined;
  const key = `${name}|${xs.map((x) => sk(x.shape)).join("|")}|${attrKey}`;
  const build = () => {
    const b = body();
    return {
      inputs: xs.map((x, k) => ({ name: `x${k}`, dims: x.shape })),
      outputs: [{ name: "y", dims: outShape }],
      nodes: b.nodes,
      consts: b.consts ?? [],
    };
  };
  const [y] = runGraph(
    key,
    build,
    xs.map((x) => ({ data: f32(args.backend, x), dims: x.shape })),
    [outShape],
  );
  return output(args.backend, outShape, y!);
}

const node = (op: string, inputs: string[], out = "y", attrs?: NodeSpec["attrs"]): NodeSpec => ({
  op,
  inputs,
  outputs: [out],
  ...(attrs ? { attrs } : {}),
});

function binary(name: string, body: () => Body): tf.KernelConfig {
  return withFallback(name, (args) => {
    const { a, b } = args.inputs;
    const out = tf.broadcast_util.assertAndGetBroadcastShape(a!.shape, b!.shape);
    return elementwise(args, name, [a!, b!], out, "", body);
  });
}

const simple = (op: string) => () => ({ nodes: [node(op, ["x0", "x1"])] });

export const binaryConfigs = [
  binary("Add", simple("Add")),
  binary("Sub", simple("Sub")),
  binary("Multiply", simple("Mul")),
  binary("RealDiv", simple("Div")),
  binary("Maximum", simple("Max")),
  binary("Minimum", simple("Min")),
  binary("Pow", simple("Pow")),
  binary("SquaredDifference", () => ({
    nodes: [node("Sub", ["x0", "x1"], "d"), node("Mul", ["d", "d"])],
  })),
];

function unary(
  name: string,
  body: (attrs: tf.NamedAttrMap) => Body,
  attrKey = "",
): tf.KernelConfig {
  return withFallback(name, (args) => {
    const { x } = args.inputs;
    const attrs = args.attrs ?? {};
    const key = attrKey === "" ? "" : JSON.stringify(attrs[attrKey] ?? null);
    return elementwise(args, name, [x!], x!.shape, key, () => body(attrs));
  });
}

const one = (op: string, attrs?: NodeSpec["attrs"]) => () => ({
  nodes: [node(op, ["x0"], "y", attrs)],
});

export const unaryConfigs = [
  unary("Exp", one("Exp")),
  unary("Log", one("Log")),
  unary("Sqrt", one("Sqrt")),
  unary("Rsqrt", () => ({ nodes: [node("Sqrt", ["x0"], "s"), node("Reciprocal", ["s"])] })),
  unary("Neg", one("Neg")),
  unary("Sigmoid", one("Sigmoid")),
  unary("Tanh", one("Tanh")),
  unary("Relu", one("Relu")),
  unary("Abs", one("Abs")),
  unary("Square", () => ({ nodes: [node("Mul", ["x0", "x0"])] })),
  unary("Reciprocal", one("Reciprocal")),
  unary("Erf", one("Erf")),
  unary("Sin", one("Sin")),
  unary("Cos", one("Cos")),
  unary("Softplus", one("Softplus")),
  unary("Elu", one("Elu", { alpha: { f: 1 } })),
  unary("Relu6", () => ({
    nodes: [node("Clip", ["x0", "lo", "hi"])],
    consts: [{ name: "lo", dims: [], float32: [0] }, { name: "hi", dims: [], float32: [6] }],
  })),
  unary(
    "LeakyRelu",
    (a) => ({ nodes: [node("LeakyRelu", ["x0"], "y", { alpha: { f: Number(a.alpha) } })] }),
    "alpha",
  ),
  withFallback("ClipByValue", (args) => {
    const { x } = args.inputs;
    const lo = Number(args.attrs?.clipValueMin), hi = Number(args.attrs?.clipValueMax);
    return elementwise(args, "ClipByValue", [x!], x!.shape, `${lo},${hi}`, () => ({
      nodes: [node("Clip", ["x0", "lo", "hi"])],
      consts: [{ name: "lo", dims: [], float32: [lo] }, { name: "hi", dims: [], float32: [hi] }],
    }));
  }),
];

/** AddN (the tape sums the gradients of a tensor used several times): one ONNX Sum. */
export const addNConfig = withFallback("AddN", (args) => {
  const xs = Object.values(args.inputs) as TensorInfo[];
  if (xs.length < 2 || xs.some((x) => x.shape.join() !== xs[0]!.shape.join())) return undefined;
  const names = xs.map((_, k) => `x${k}`);
  return elementwise(args, "AddN", xs, xs[0]!.shape, String(xs.length), () => ({
    nodes: [node("Sum", names)],
  }));
});
