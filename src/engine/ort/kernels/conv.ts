/**
 * Convolution kernels on ORT: Conv2D, FusedConv2D, Conv2DBackpropInput, Conv2DBackpropFilter.
 *
 * tfjs keeps NHWC tensors and HWIO filters. Paths, fastest first (measured at batch 64):
 * - 1×1 stride-1 unpadded: one MatMul on the [N·H·W, C] view;
 * - ORT's blocked NCHWc convolution called directly (nchwc.ts), when the channels allow it;
 * - ONNX Conv on NCHW, with transposes in and out (ORT's transposes are slow: ~2 GB/s).
 * Gradients:
 * - w.r.t. the input, stride 1: a convolution of dy with the spatially flipped, in/out-swapped
 *   filter (1.3-1.8× faster than ConvTranspose, and NCHWc-able); strided: ConvTranspose.
 * - w.r.t. the filter: one GEMM per filter tap over shifted windows of x (convFilterGrad.ts),
 *   2-3× faster than "convolve x with dy", whose GEMMs are skinny.
 * Only NHWC (channelsLast) is handled; NCHW tensors fall back to the JS kernels.
 */
import { tf } from "../../../tensor/tf.ts";
import { type ConstSpec, ints, type NodeSpec } from "../onnxGraph.ts";
import { runGraph } from "../sessionCache.ts";
import { activationNodes } from "./activation.ts";
import {
  type ConvInfo,
  filterGradGraph,
  flatFilterGrad,
  flatFilterGradOk,
} from "./convFilterGrad.ts";
import { nchwcBlockSize, nchwcConvNodes, nchwcInputOk, reorderFilterNodes } from "./nchwc.ts";
import {
  type Args,
  f32,
  isCapturing,
  isF32,
  ortThresholds,
  output,
  sk,
  type TensorInfo,
  withFallback,
} from "./util.ts";

interface ConvAttrs {
  strides: number | [number, number];
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat?: "NHWC" | "NCHW";
  dilations?: number | [number, number];
  dimRoundingMode?: "floor" | "round" | "ceil";
}

function convInfo(
  inShape: readonly number[],
  filterShape: readonly number[],
  a: ConvAttrs,
): ConvInfo | undefined {
  if ((a.dataFormat ?? "NHWC") !== "NHWC") return undefined;
  return tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    a.strides,
    a.dilations ?? 1,
    a.pad,
    a.dimRoundingMode,
    false,
    "channelsLast",
  );
}

function convKey(op: string, c: ConvInfo): string {
  const p = c.padInfo;
  return `${op}|${sk(c.inShape)}|${sk(c.filterShape)}|s${c.strideHeight},${c.strideWidth}` +
    `|d${c.dilationHeight},${c.dilationWidth}|p${p.top},${p.bottom},${p.left},${p.right}`;
}

function flops(c: ConvInfo): number {
  return c.batchSize * c.outHeight * c.outWidth * c.outChannels * c.inChannels *
    c.filterHeight * c.filterWidth;
}

/** The NCHWc block size when an input with `channels` channels can take that path, else null. */
function nchwcFor(channels: number): number | null {
  const b = nchwcBlockSize();
  return b !== null && nchwcInputOk(channels, b) ? b : null;
}

/** 1×1, stride 1, no padding: the convolution is a plain matrix product over pixels. */
function isPointwise(c: ConvInfo): boolean {
  const p = c.padInfo;
  return c.filterHeight === 1 && c.filterWidth === 1 && c.strideHeight === 1 &&
    c.strideWidth === 1 && p.top === 0 && p.bottom === 0 && p.left === 0 && p.right === 0;
}

const NHWC_TO_NCHW = { perm: { ints: [0, 3, 1, 2] } };
const NCHW_TO_NHWC = { perm: { ints: [0, 2, 3, 1] } };
const HWIO_TO_OIHW = { perm: { ints: [3, 2, 0, 1] } };

function convAttrs(c: ConvInfo): NonNullable<NodeSpec["attrs"]> {
  const p = c.padInfo;
  return {
    kernel_shape: { ints: [c.filterHeight, c.filterWidth] },
    strides: { ints: [c.strideHeight, c.strideWidth] },
    dilations: { ints: [c.dilationHeight, c.dilationWidth] },
    pads: { ints: [p.top, p.left, p.bottom, p.right] },
  };
}

/** Forward convolution (+ bias + activation): the shared body of Conv2D and FusedConv2D. */
function convForward(
  args: Args,
  x: TensorInfo,
  filter: TensorInfo,
  bias: TensorInfo | undefined,
  activation: string,
  alpha: number,
): TensorInfo | undefined {
  const c = convInfo(x.shape, filter.shape, args.attrs as unknown as ConvAttrs);
  if (c === undefined || !isF32(x, filter, bias) || flops(c) < ortThresholds().flops) {
    return undefined;
  }
  const K = c.outChannels;
  if (bias !== undefined && tf.util.sizeFromShape(bias.shape) !== K) return undefined;
  const act = activationNodes(activation, "pre", "post", alpha);
  if (act === undefined) return undefined;
  const hasBias = bias !== undefined;
  const blk = nchwcFor(c.inChannels);
  const key = `${convKey("Conv", c)}|b${hasBias}|${activation}${alpha}|nchwc${blk}`;
  const build = () => {
    const consts: ConstSpec[] = [...act.consts];
    const nodes: NodeSpec[] = [];
    if (isPointwise(c)) {
      consts.push(ints("flat", [-1, c.inChannels]), ints("wshape", [c.inChannels, K]));
      consts.push(ints("oshape", c.outShape));
      nodes.push({ op: "Reshape", inputs: ["x", "flat"], outputs: ["x2"] });
      nodes.push({ op: "Reshape", inputs: ["w", "wshape"], outputs: ["w2"] });
      nodes.push({ op: "MatMul", inputs: ["x2", "w2"], outputs: ["mm"] });
      if (hasBias) nodes.push({ op: "Add", inputs: ["mm", "b"], outputs: ["mmb"] });
      nodes.push({ op: "Reshape", inputs: [hasBias ? "mmb" : "mm", "oshape"], outputs: ["pre"] });
      nodes.push(...act.nodes.map((n) => ({ ...n, outputs: ["y"] })));
    } else if (blk !== null) {
      const f = reorderFilterNodes("w", "wb", filter.shape, blk, false);
      const cv = nchwcConvNodes("x", "wb", hasBias ? "b" : undefined, "pre", x.shape, K, blk, {
        ...convAttrs(c),
      });
      consts.push(...f.consts, ...cv.consts);
      nodes.push(...f.nodes, ...cv.nodes, ...act.nodes.map((nd) => ({ ...nd, outputs: ["y"] })));
    } else {
      nodes.push({ op: "Transpose", inputs: ["x"], outputs: ["xt"], attrs: NHWC_TO_NCHW });
      nodes.push({ op: "Transpose", inputs: ["w"], outputs: ["wt"], attrs: HWIO_TO_OIHW });
      const convIn = hasBias ? ["xt", "wt", "b"] : ["xt", "wt"];
      nodes.push({ op: "Conv", inputs: convIn, outputs: ["pre"], attrs: convAttrs(c) });
      nodes.push(...act.nodes);
      nodes.push({ op: "Transpose", inputs: ["post"], outputs: ["y"], attrs: NCHW_TO_NHWC });
    }
    return {
      inputs: [
        { name: "x", dims: x.shape },
        { name: "w", dims: filter.shape },
        ...(hasBias ? [{ name: "b", dims: [K] }] : []),
      ],
      outputs: [{ name: "y", dims: c.outShape }],
      nodes,
      consts,
    };
  };
  const feeds = [
    { data: f32(args.backend, x), dims: x.shape },
    { data: f32(args.backend, filter), dims: filter.shape },
    ...(bias !== undefined ? [{ data: f32(args.backend, bias), dims: [K] }] : []),
  ];
  const [y] = runGraph(key, build, feeds, [c.outShape]);
  return output(args.backend, c.outShape, y!);
}

export const conv2DConfig = withFallback("Conv2D", (args) => {
  const { x, filter } = args.inputs;
  return convForward(args, x!, filter!, undefined, "linear", 0);
});

export const fusedConv2DConfig = withFallback("FusedConv2D", (args) => {
  const { x, filter, bias } = args.inputs;
  const a = args.attrs as unknown as { activation?: string; leakyreluAlpha?: number };
  return convForward(args, x!, filter!, bias, a.activation ?? "linear", a.leakyreluAlpha ?? 0.2);
});

export const conv2DBackpropInputConfig = withFallback("Conv2DBackpropInput", (args) => {
  const { dy, filter } = args.inputs;
  const a = args.attrs as unknown as ConvAttrs & { inputShape: number[] };
  const c = convInfo(a.inputShape, filter!.shape, { ...a, dilations: 1 });
  if (c === undefined || !isF32(dy, filter) || flops(c) < ortThresholds().flops) return undefined;
  const p = c.padInfo;
  const kh = c.filterHeight, kw = c.filterWidth;
  const flipped = c.strideHeight === 1 && c.strideWidth === 1 && p.top <= kh - 1 &&
    p.bottom <= kh - 1 && p.left <= kw - 1 && p.right <= kw - 1;
  const flipPads = [kh - 1 - p.top, kw - 1 - p.left, kh - 1 - p.bottom, kw - 1 - p.right];
  const blk = flipped ? nchwcFor(c.outChannels) : null;
  const build = () => {
    const consts: ConstSpec[] = [];
    const nodes: NodeSpec[] = [];
    if (isPointwise(c)) {
      // dx[NHW, C] = dy[NHW, K] · w[C, K]ᵀ
      consts.push(ints("flat", [-1, c.outChannels]), ints("wshape", [c.inChannels, c.outChannels]));
      consts.push(ints("xshape", c.inShape));
      nodes.push({ op: "Reshape", inputs: ["dy", "flat"], outputs: ["dy2"] });
      nodes.push({ op: "Reshape", inputs: ["w", "wshape"], outputs: ["w2"] });
      nodes.push({
        op: "FusedMatMul",
        domain: "com.microsoft",
        inputs: ["dy2", "w2"],
        outputs: ["mm"],
        attrs: { transB: { i: 1 } },
      });
      nodes.push({ op: "Reshape", inputs: ["mm", "xshape"], outputs: ["dx"] });
    } else if (blk !== null) {
      // as below, on ORT's NCHWc convolution
      const f = reorderFilterNodes("w", "wb", filter!.shape, blk, true);
      const cv = nchwcConvNodes("dy", "wb", undefined, "dx", dy!.shape, c.inChannels, blk, {
        kernel_shape: { ints: [kh, kw] },
        pads: { ints: flipPads },
      });
      consts.push(...f.consts, ...cv.consts);
      nodes.push(...f.nodes, ...cv.nodes);
    } else if (flipped) {
      // dx = conv(dy, flip(w) with in/out swapped), padded by k-1-pad
      consts.push(ints("st", [-1, -1]), ints("en", [-(2 ** 31), -(2 ** 31)]));
      consts.push(ints("ax", [0, 1]), ints("sp", [-1, -1]));
      nodes.push({ op: "Transpose", inputs: ["dy"], outputs: ["dyt"], attrs: NHWC_TO_NCHW });
      nodes.push({ op: "Slice", inputs: ["w", "st", "en", "ax", "sp"], outputs: ["wf"] });
      nodes.push({
        op: "Transpose",
        inputs: ["wf"],
        outputs: ["wt"],
        attrs: { perm: { ints: [2, 3, 0, 1] } },
      });
      nodes.push({
        op: "Conv",
        inputs: ["dyt", "wt"],
        outputs: ["dxt"],
        attrs: {
          kernel_shape: { ints: [kh, kw] },
          pads: { ints: flipPads },
        },
      });
      nodes.push({ op: "Transpose", inputs: ["dxt"], outputs: ["dx"], attrs: NCHW_TO_NHWC });
    } else {
      const oph = c.inHeight - (c.strideHeight * (c.outHeight - 1) + kh - p.top - p.bottom);
      const opw = c.inWidth - (c.strideWidth * (c.outWidth - 1) + kw - p.left - p.right);
      nodes.push({ op: "Transpose", inputs: ["dy"], outputs: ["dyt"], attrs: NHWC_TO_NCHW });
      nodes.push({ op: "Transpose", inputs: ["w"], outputs: ["wt"], attrs: HWIO_TO_OIHW });
      nodes.push({
        op: "ConvTranspose",
        inputs: ["dyt", "wt"],
        outputs: ["dxt"],
        attrs: { ...convAttrs(c), output_padding: { ints: [oph, opw] } },
      });
      nodes.push({ op: "Transpose", inputs: ["dxt"], outputs: ["dx"], attrs: NCHW_TO_NHWC });
    }
    return {
      inputs: [{ name: "dy", dims: dy!.shape }, { name: "w", dims: filter!.shape }],
      outputs: [{ name: "dx", dims: c.inShape }],
      nodes,
      consts,
    };
  };
  const [dx] = runGraph(`${convKey("ConvBwdInput", c)}|nchwc${blk}`, build, [
    { data: f32(args.backend, dy!), dims: dy!.shape },
    { data: f32(args.backend, filter!), dims: filter!.shape },
  ], [c.inShape]);
  return output(args.backend, c.inShape, dx!);
});

export const conv2DBackpropFilterConfig = withFallback("Conv2DBackpropFilter", (args) => {
  const { x, dy } = args.inputs;
  const a = args.attrs as unknown as ConvAttrs & { filterShape: number[] };
  const c = convInfo(x!.shape, a.filterShape, { ...a, dilations: 1 });
  if (c === undefined || !isF32(x, dy) || flops(c) < ortThresholds().flops) return undefined;
  if (flatFilterGradOk(c) && !isCapturing()) {
    const dw = flatFilterGrad(c, f32(args.backend, x!), f32(args.backend, dy!));
    return output(args.backend, c.filterShape, dw);
  }
  const build = () => filterGradGraph(c, x!.shape, dy!.shape);
  const [dw] = runGraph(convKey("ConvBwdFilter", c), build, [
    { data: f32(args.backend, x!), dims: x!.shape },
    { data: f32(args.backend, dy!), dims: dy!.shape },
  ], [c.filterShape]);
  return output(args.backend, c.filterShape, dw!);
});
