/**
 * Conv2DBackpropFilter on ORT: dW[ky, kx] = Σ over batch and pixels of
 * x(pixel shifted by the tap)ᵀ · dy(pixel), one GEMM per filter tap.
 *
 * Measured inside ORT (64×32×32×96 → 32, batch 64): padding x and copying the nine shifted
 * windows (Pad, Slice) took longer than the 22 ms of GEMMs. For stride-1 convolutions with
 * outputs of 16×16 or more, the shifted windows are therefore not copied: x is padded once in JS
 * (memcpy-speed row copies) into a flat [N·Hp·Wp, C] buffer whose rows are pixels, dy is laid
 * out on the same padded pixel grid (zeros outside the image), and the window of tap (ky, kx) is
 * that buffer seen from row ky·Wp + kx on: a subarray view, handed to ORT without a copy. The
 * padded grid adds (Hp·Wp)/(H·W) − 1 work (13% at 32×32), far less than the copies cost.
 * That took 64×32×32×96 → 32 from 59 to 23 ms and 32 → 32 from 16 to 6 ms. Otherwise (strided,
 * small images, where the grid's extra work would dominate) x is padded and windowed in the graph.
 * Large pixel sums are split into `parts` batched GEMMs: MLAS parallelises a [C, K] product with
 * a huge inner dimension poorly.
 */
import { type ConstSpec, type GraphSpec, ints, type NodeSpec } from "../onnxGraph.ts";
import { type Feed, runGraph } from "../sessionCache.ts";
import { releaseBuffer, takeF32 } from "../bufferPool.ts";
import type { tf } from "../../../tensor/tf.ts";

/** A convolution's shapes, strides and padding as tfjs computes them. */
export type ConvInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

function parts(m: number, large: boolean): number {
  return large ? [16, 8, 4, 2, 1].find((q) => m % q === 0)! : 1;
}

/** Nodes reducing tap windows `[rows, C]` against dy `[rows, K]` into dw [kh, kw, C, K]. */
function tapGemms(
  c: ConvInfo,
  windows: readonly string[],
  dy: string,
  rows: number,
  consts: ConstSpec[],
  nodes: NodeSpec[],
) {
  const p = parts(rows, rows >= 256 * c.batchSize);
  consts.push(
    ints("vx", [p, rows / p, c.inChannels]),
    ints("vdy", [p, rows / p, c.outChannels]),
    ints("fshape", [c.filterHeight, c.filterWidth, c.inChannels, c.outChannels]),
    ints("ax0", [0]),
  );
  nodes.push({ op: "Reshape", inputs: [dy, "vdy"], outputs: ["dyv"] });
  const taps = windows.map((w, k) => {
    nodes.push(
      { op: "Reshape", inputs: [w, "vx"], outputs: [`w${k}`] },
      {
        op: "FusedMatMul",
        domain: "com.microsoft",
        inputs: [`w${k}`, "dyv"],
        outputs: [`q${k}`],
        attrs: { transA: { i: 1 } },
      }, // [p, C, K]
      {
        op: "ReduceSum",
        inputs: [`q${k}`, "ax0"],
        outputs: [`m${k}`],
        attrs: { keepdims: { i: 0 } },
      },
    );
    return `m${k}`;
  });
  if (taps.length === 1) {
    nodes.push({ op: "Reshape", inputs: [taps[0]!, "fshape"], outputs: ["dw"] });
  } else {
    nodes.push({ op: "Concat", inputs: taps, outputs: ["cat"], attrs: { axis: { i: 0 } } });
    nodes.push({ op: "Reshape", inputs: ["cat", "fshape"], outputs: ["dw"] });
  }
}

/** Whether the flat, copy-free formulation applies (and pays off). */
export function flatFilterGradOk(c: ConvInfo): boolean {
  return c.strideHeight === 1 && c.strideWidth === 1 && c.dilationHeight === 1 &&
    c.dilationWidth === 1 && c.outHeight * c.outWidth >= 256;
}

/** Copies NHWC `src` into a zeroed [N, hp, wp, ch] grid at offset (top, left), plus spare rows. */
function toGrid(
  src: Float32Array,
  n: number,
  h: number,
  w: number,
  ch: number,
  hp: number,
  wp: number,
  top: number,
  left: number,
  spareRows: number,
): Float32Array {
  const out = takeF32((n * hp * wp + spareRows) * ch);
  out.fill(0);
  const run = w * ch;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < h; i++) {
      const from = (b * h + i) * run;
      out.set(src.subarray(from, from + run), ((b * hp + i + top) * wp + left) * ch);
    }
  }
  return out;
}

/** dW for stride-1 convolutions from zero-copy shifted views (see the header). */
export function flatFilterGrad(c: ConvInfo, x: Float32Array, dy: Float32Array): Float32Array {
  const { batchSize: n, inChannels: C, outChannels: K } = c;
  const p = c.padInfo;
  const hp = c.inHeight + p.top + p.bottom, wp = c.inWidth + p.left + p.right;
  const maxOff = (c.filterHeight - 1) * wp + (c.filterWidth - 1);
  // rows past the last valid pixel hold zeros in dy, so the sum may run to a multiple of 16
  const rows = Math.ceil((n * hp * wp - maxOff) / 16) * 16;
  const spare = rows + maxOff - n * hp * wp;
  const xg = toGrid(x, n, c.inHeight, c.inWidth, C, hp, wp, p.top, p.left, spare);
  const dyg = toGrid(
    dy,
    n,
    c.outHeight,
    c.outWidth,
    K,
    hp,
    wp,
    0,
    0,
    Math.max(0, rows - n * hp * wp),
  );
  const offs: number[] = [];
  for (let ky = 0; ky < c.filterHeight; ky++) {
    for (let kx = 0; kx < c.filterWidth; kx++) offs.push(ky * wp + kx);
  }
  const key = `ConvBwdFilterFlat|${c.inShape.join("x")}|${c.filterShape.join("x")}|` +
    `p${p.top},${p.bottom},${p.left},${p.right}`;
  const build = (): GraphSpec => {
    const consts: ConstSpec[] = [];
    const nodes: NodeSpec[] = [];
    const windows = offs.map((_, k) => `x${k}`);
    tapGemms(c, windows, "dy", rows, consts, nodes);
    return {
      inputs: [
        ...windows.map((name) => ({ name, dims: [rows, C] })),
        { name: "dy", dims: [rows, K] },
      ],
      outputs: [{ name: "dw", dims: c.filterShape }],
      nodes,
      consts,
    };
  };
  const feeds: Feed[] = [
    ...offs.map((o) => ({ data: xg.subarray(o * C, (o + rows) * C), dims: [rows, C] })),
    { data: dyg.subarray(0, rows * K), dims: [rows, K] },
  ];
  const [dw] = runGraph(key, build, feeds, [c.filterShape]);
  releaseBuffer(xg.buffer);
  releaseBuffer(dyg.buffer);
  return dw!;
}

/** dW from a padded x and (strided) tap windows taken inside the graph. */
export function filterGradGraph(
  c: ConvInfo,
  xShape: readonly number[],
  dyShape: readonly number[],
): GraphSpec {
  const p = c.padInfo;
  const consts: ConstSpec[] = [
    ints("pads", [0, p.top, p.left, 0, 0, p.bottom, p.right, 0]),
    ints("ax12", [1, 2]),
    ints("steps", [c.strideHeight, c.strideWidth]),
  ];
  const nodes: NodeSpec[] = [{ op: "Pad", inputs: ["x", "pads"], outputs: ["xp"] }];
  const windows: string[] = [];
  for (let ky = 0; ky < c.filterHeight; ky++) {
    for (let kx = 0; kx < c.filterWidth; kx++) {
      const t = `${ky}_${kx}`;
      const y0 = ky * c.dilationHeight, x0 = kx * c.dilationWidth;
      consts.push(ints(`b${t}`, [y0, x0]));
      consts.push(ints(`e${t}`, [
        y0 + (c.outHeight - 1) * c.strideHeight + 1,
        x0 + (c.outWidth - 1) * c.strideWidth + 1,
      ]));
      nodes.push({
        op: "Slice",
        inputs: ["xp", `b${t}`, `e${t}`, "ax12", "steps"],
        outputs: [`s${t}`],
      });
      windows.push(`s${t}`);
    }
  }
  tapGemms(c, windows, "dy", c.batchSize * c.outHeight * c.outWidth, consts, nodes);
  return {
    inputs: [{ name: "x", dims: xShape }, { name: "dy", dims: dyShape }],
    outputs: [{ name: "dw", dims: c.filterShape }],
    nodes,
    consts,
  };
}
