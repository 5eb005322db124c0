/**
 * onnxruntime's blocked-channel (NCHWc) convolution, used directly from our graphs.
 *
 * ORT converts Conv to its `com.microsoft.nchwc` ops (MLAS's direct convolution on channel
 * blocks of 8 (AVX2) or 16 (AVX-512)) only when the weights are constant initializers, and ours
 * are graph inputs (they change every step). So the graphs call those ops themselves:
 * ReorderInput (NHWC → blocked, fused with the layout change), nchwc.Conv with the weights
 * reordered to OIHWBiBo inside the graph, ReorderOutput (blocked → NHWC). Measured against
 * transpose + Conv + transpose at batch 64: 1.2-2.6× faster (e.g. 8×8×128→128: 435 vs 167
 * GFLOP/s on two AVX-512 cores).
 *
 * The block size is MLAS's, which depends on the CPU; it is probed once by comparing a tiny
 * convolution against the plain ONNX one, and the NCHWc path is off when no size matches.
 */
import { type ConstSpec, ints, type NodeSpec } from "../onnxGraph.ts";
import { runGraph } from "../sessionCache.ts";

export const NCHWC = "com.microsoft.nchwc";

let blockSize: number | null | undefined;

/** MLAS's NCHWc block size on this CPU (16 or 8), or null when the path is unavailable. */
export function nchwcBlockSize(): number | null {
  if (blockSize === undefined) blockSize = probe();
  return blockSize;
}

/** Test hook: force a block size (null = off) or re-probe (undefined). */
export function setNchwcBlockSize(b: number | null | undefined): void {
  blockSize = b;
}

/**
 * Nodes turning an HWIO filter input `w` [kh, kw, C, K] into `out`, the OIHWBiBo layout of
 * nchwc.Conv: out[ob][ib][ky][kx][bi][bo] = w[ky][kx][ib·B + bi][ob·B + bo]. K is zero-padded to
 * `kPad` (a multiple of B). With `flip`, the filter of the input gradient instead: spatially
 * flipped with C and K swapped (its output channels are C).
 */
export function reorderFilterNodes(
  w: string,
  out: string,
  shape: readonly number[],
  b: number,
  flip: boolean,
): { nodes: NodeSpec[]; consts: ConstSpec[] } {
  const [kh, kw, c, k] = shape as [number, number, number, number];
  const nodes: NodeSpec[] = [];
  const consts: ConstSpec[] = [];
  let src = w;
  if (flip) {
    consts.push(ints(`${out}_fs`, [-1, -1]), ints(`${out}_fe`, [-(2 ** 31), -(2 ** 31)]));
    consts.push(ints(`${out}_fa`, [0, 1]), ints(`${out}_fp`, [-1, -1]));
    nodes.push({
      op: "Slice",
      inputs: [w, `${out}_fs`, `${out}_fe`, `${out}_fa`, `${out}_fp`],
      outputs: [`${out}_flip`],
    });
    src = `${out}_flip`;
  }
  // input channels of the convolution (blocked as bi) and its output channels (bo)
  const cin = flip ? k : c, cout = flip ? c : k;
  const coutPad = Math.ceil(cout / b) * b;
  if (coutPad !== cout) {
    const axis = flip ? 2 : 3;
    const pads = [0, 0, 0, 0, 0, 0, 0, 0];
    pads[4 + axis] = coutPad - cout;
    consts.push(ints(`${out}_pp`, pads));
    nodes.push({ op: "Pad", inputs: [src, `${out}_pp`], outputs: [`${out}_pad`] });
    src = `${out}_pad`;
  }
  if (cin % b === 0) {
    // [kh, kw, C/B, B, K/B, B] → [ob, ib, ky, kx, bi, bo]
    const six = flip
      ? [kh, kw, coutPad / b, b, cin / b, b] // axes: ky kx ob bo ib bi
      : [kh, kw, cin / b, b, coutPad / b, b]; // axes: ky kx ib bi ob bo
    const perm = flip ? [2, 4, 0, 1, 5, 3] : [4, 2, 0, 1, 3, 5];
    consts.push(ints(`${out}_s6`, six), ints(`${out}_s4`, [coutPad, cin, kh, kw]));
    nodes.push(
      { op: "Reshape", inputs: [src, `${out}_s6`], outputs: [`${out}_r6`] },
      {
        op: "Transpose",
        inputs: [`${out}_r6`],
        outputs: [`${out}_t6`],
        attrs: { perm: { ints: perm } },
      },
      { op: "Reshape", inputs: [`${out}_t6`, `${out}_s4`], outputs: [out] },
    );
  } else {
    // unblocked input channels (the NCHW-input path, cin < B): OIHWBo = [ob][i][ky][kx][bo]
    const five = flip ? [kh, kw, coutPad / b, b, cin] : [kh, kw, cin, coutPad / b, b];
    const perm = flip ? [2, 4, 0, 1, 3] : [3, 2, 0, 1, 4];
    consts.push(ints(`${out}_s5`, five), ints(`${out}_s4`, [coutPad, cin, kh, kw]));
    nodes.push(
      { op: "Reshape", inputs: [src, `${out}_s5`], outputs: [`${out}_r5`] },
      {
        op: "Transpose",
        inputs: [`${out}_r5`],
        outputs: [`${out}_t5`],
        attrs: { perm: { ints: perm } },
      },
      { op: "Reshape", inputs: [`${out}_t5`, `${out}_s4`], outputs: [out] },
    );
  }
  return { nodes, consts };
}

/** Whether an NHWC input with `c` channels can enter an NCHWc convolution. */
export function nchwcInputOk(c: number, b: number): boolean {
  // blocked channels, or a single channel whose NHWC layout is already NCHW
  return c % b === 0 || c === 1;
}

/**
 * Nodes from NHWC input `x` [N, H, W, C] to `out` in NCHWc (or NCHW when C = 1), the
 * convolution, and back to NHWC `y` [N, Ho, Wo, K]. `w` must already be reordered.
 */
export function nchwcConvNodes(
  x: string,
  wb: string,
  bias: string | undefined,
  y: string,
  xShape: readonly number[],
  k: number,
  b: number,
  attrs: NonNullable<NodeSpec["attrs"]>,
): { nodes: NodeSpec[]; consts: ConstSpec[] } {
  const [n, h, w, c] = xShape as [number, number, number, number];
  const nodes: NodeSpec[] = [];
  const consts: ConstSpec[] = [];
  if (c % b === 0) {
    nodes.push({
      op: "ReorderInput",
      domain: NCHWC,
      inputs: [x],
      outputs: [`${y}_xb`],
      attrs: { channels_last: { i: 1 } },
    });
  } else {
    consts.push(ints(`${y}_x4`, [n, 1, h, w])); // C = 1: NHWC and NCHW coincide
    nodes.push({ op: "Reshape", inputs: [x, `${y}_x4`], outputs: [`${y}_xb`] });
  }
  let biasIn: string[] = [];
  if (bias !== undefined) {
    const kPad = Math.ceil(k / b) * b;
    if (kPad !== k) {
      consts.push(ints(`${y}_bp`, [0, kPad - k]));
      nodes.push({ op: "Pad", inputs: [bias, `${y}_bp`], outputs: [`${y}_bpad`] });
      biasIn = [`${y}_bpad`];
    } else biasIn = [bias];
  }
  nodes.push(
    { op: "Conv", domain: NCHWC, inputs: [`${y}_xb`, wb, ...biasIn], outputs: [`${y}_yb`], attrs },
    {
      op: "ReorderOutput",
      domain: NCHWC,
      inputs: [`${y}_yb`],
      outputs: [y],
      attrs: { channels: { i: k }, channels_last: { i: 1 } },
    },
  );
  return { nodes, consts };
}

/** Runs a 2-image 3×3 convolution both ways; the block size whose result matches wins. */
function probe(): number | null {
  const [n, h, c, k] = [2, 5, 16, 16];
  const x = Float32Array.from({ length: n * h * h * c }, (_, i) => Math.sin(i * 0.37));
  const w = Float32Array.from({ length: 9 * c * k }, (_, i) => Math.cos(i * 0.11));
  const feeds = [{ data: x, dims: [n, h, h, c] }, { data: w, dims: [3, 3, c, k] }];
  const outDims = [[n, h, h, k]];
  const io = {
    inputs: [{ name: "x", dims: [n, h, h, c] }, { name: "w", dims: [3, 3, c, k] }],
    outputs: [{ name: "y", dims: [n, h, h, k] }],
  };
  const conv = { pads: { ints: [1, 1, 1, 1] }, kernel_shape: { ints: [3, 3] } };
  const [ref] = runGraph(
    "nchwc-probe-ref",
    () => ({
      ...io,
      nodes: [
        {
          op: "Transpose",
          inputs: ["x"],
          outputs: ["xt"],
          attrs: { perm: { ints: [0, 3, 1, 2] } },
        },
        {
          op: "Transpose",
          inputs: ["w"],
          outputs: ["wt"],
          attrs: { perm: { ints: [3, 2, 0, 1] } },
        },
        { op: "Conv", inputs: ["xt", "wt"], outputs: ["yt"], attrs: conv },
        {
          op: "Transpose",
          inputs: ["yt"],
          outputs: ["y"],
          attrs: { perm: { ints: [0, 2, 3, 1] } },
        },
      ],
    }),
    feeds,
    outDims,
  );
  for (const b of [16, 8]) {
    try {
      const f = reorderFilterNodes("w", "wb", [3, 3, c, k], b, false);
      const [y] = runGraph(
        `nchwc-probe-${b}`,
        () => ({
          ...io,
          consts: f.consts,
          nodes: [
            ...f.nodes,
            {
              op: "ReorderInput",
              domain: NCHWC,
              inputs: ["x"],
              outputs: ["xb"],
              attrs: { channels_last: { i: 1 } },
            },
            { op: "Conv", domain: NCHWC, inputs: ["xb", "wb"], outputs: ["yb"], attrs: conv },
            {
              op: "ReorderOutput",
              domain: NCHWC,
              inputs: ["yb"],
              outputs: ["y"],
              attrs: { channels: { i: k }, channels_last: { i: 1 } },
            },
          ],
        }),
        feeds,
        outDims,
      );
      let worst = 0;
      for (let i = 0; i < ref!.length; i++) worst = Math.max(worst, Math.abs(ref![i]! - y![i]!));
      if (worst < 1e-3) return b;
    } catch {
      // this build or CPU has no NCHWc kernels for this block size
    }
  }
  return null;
}
