/**
 * Functional layers for the models in src/models/: tensors in, tensors out, no state.
 *
 * Two halves. First the math (conv2d, linear, groupNorm, layerNorm, silu, groupNormSilu,
 * timestep embedding, upsample ×2, attention), each a pure function of explicit tensors. Then
 * small helpers that declare a layer's parameters in a `ParamStore` under a name prefix and apply
 * the layer by that prefix, so model files read `h = conv(p, "in", x)`.
 *
 * Images are NHWC: [B, H, W, C]. Token sequences are [B, N, D].
 * Not here: no tf.layers, no dropout, no normalisation statistics kept across calls.
 * tfjs has no GroupNorm layer, no fused attention, and (cpu backend, 4.22) a wrong gradient for
 * `resizeNearestNeighbor` when batch > 1: hence groupNorm as the engine's fused kernel (one pass
 * forward and one backward, composed tfjs ops where a backend lacks it), attention via matMul +
 * softmax, and upsampling via concat + reshape (exact gradient, any batch).
 */
import { tf } from "../tensor/tf.ts";
import type { ParamStore } from "./params.ts";
import {
  groupNorm as fusedGroupNorm,
  groupNormSilu as fusedGroupNormSilu,
} from "../engine/groupNorm.ts";

// ---------------------------------------------------------------------------------------------
// Math

/** 2-D convolution, "same" padding. x [B, H, W, Cin], w [k, k, Cin, Cout] → [B, H/s, W/s, Cout]. */
export const conv2d = (
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  b: tf.Tensor1D | null,
  stride: 1 | 2 = 1,
): tf.Tensor4D => {
  const y = tf.conv2d(x, w, stride, "same"); // [B, ceil(H/s), ceil(W/s), Cout]
  return b === null ? y : tf.add(y, b);
};

/** Affine map on the last axis. x [..., Din], w [Din, Dout], b [Dout] → [..., Dout]. */
export const linear = (x: tf.Tensor, w: tf.Tensor2D, b: tf.Tensor1D | null): tf.Tensor => {
  const [din, dout] = w.shape;
  const lead = x.shape.slice(0, -1);
  const y = tf.matMul(tf.reshape(x, [-1, din]), w); // [prod(lead), Dout]
  return tf.reshape(b === null ? y : tf.add(y, b), [...lead, dout]); // [..., Dout]
};

/**
 * Group normalisation (Wu & He 2018) over the channel axis in `groups` groups, statistics per
 * sample over space and the group's channels. x [B, ..., C] (images or tokens) → same shape.
 * One fused engine kernel forward and one backward (src/engine/groupNorm.ts).
 */
export const groupNorm = (
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  groups: number,
  eps = 1e-5,
): tf.Tensor => fusedGroupNorm(x, gamma, beta, groups, eps);

/** Layer normalisation over the last axis. x [..., D] → [..., D]. */
export const layerNorm = (
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps = 1e-5,
): tf.Tensor => {
  const { mean, variance } = tf.moments(x, -1, true); // [..., 1]
  const xn = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
  return tf.add(tf.mul(xn, gamma), beta);
};

/** SiLU / swish: x · sigmoid(x). */
export const silu = (x: tf.Tensor): tf.Tensor => tf.mul(x, tf.sigmoid(x));

/** GroupNorm followed by SiLU, the pair that opens every residual block, as one fused kernel. */
export const groupNormSilu = (
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  groups: number,
  eps = 1e-5,
): tf.Tensor => fusedGroupNormSilu(x, gamma, beta, groups, eps);

/**
 * Sinusoidal embedding of (float) timesteps, as in ADM / "Attention is all you need":
 * [cos(t·f_0..f_{d/2-1}), sin(t·f_0..f_{d/2-1})] with f_i = maxPeriod^(-i/(d/2)). t [B] → [B, dim].
 */
export const timestepEmbedding = (t: tf.Tensor1D, dim: number, maxPeriod = 10000): tf.Tensor2D => {
  if (dim % 2 !== 0) throw new Error(`timestepEmbedding: dim must be even, got ${dim}`);
  const half = dim / 2;
  const freqs = Float32Array.from(
    { length: half },
    (_, i) => Math.exp(-Math.log(maxPeriod) * i / half),
  );
  const args = tf.mul(tf.reshape(tf.cast(t, "float32"), [-1, 1]), tf.tensor2d(freqs, [1, half])); // [B, d/2]
  return tf.concat([tf.cos(args), tf.sin(args)], 1) as tf.Tensor2D; // [B, dim]
};

/**
 * Nearest-neighbour upsampling ×2 by duplication (concat + reshape), whose gradient (slice +
 * add) is exact for any batch size. x [B, H, W, C] → [B, 2H, 2W, C].
 */
export const upsample2x = (x: tf.Tensor4D): tf.Tensor4D => {
  const [b, h, w, c] = x.shape;
  const cols = tf.reshape(tf.concat([x, x], 3), [b, h, 2 * w * c]); // each pixel twice along W
  return tf.reshape(tf.concat([cols, cols], 2), [b, 2 * h, 2 * w, c]); // each row twice along H
};

/** [B, N, D] → [B·heads, N, D/heads] */
const splitHeads = (x: tf.Tensor, heads: number): tf.Tensor3D => {
  const [b, n, d] = x.shape as [number, number, number];
  const xh = tf.transpose(tf.reshape(x, [b, n, heads, d / heads]), [0, 2, 1, 3]); // [B, h, N, d/h]
  return tf.reshape(xh, [b * heads, n, d / heads]);
};

/** [B·heads, N, D/heads] → [B, N, D] */
const mergeHeads = (x: tf.Tensor, heads: number): tf.Tensor3D => {
  const [bh, n, dh] = x.shape as [number, number, number];
  const xh = tf.transpose(tf.reshape(x, [bh / heads, heads, n, dh]), [0, 2, 1, 3]); // [B, N, h, d/h]
  return tf.reshape(xh, [bh / heads, n, heads * dh]);
};

/**
 * Scaled dot-product attention with `heads` heads, softmax(q·kᵀ/√d_head)·v.
 * q [B, Nq, D], k [B, Nk, D], v [B, Nk, D] → [B, Nq, D].
 */
export const attention = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, heads: number): tf.Tensor3D => {
  const d = q.shape[2]!;
  if (d % heads !== 0) throw new Error(`attention: width ${d} does not split into ${heads} heads`);
  const qh = tf.mul(splitHeads(q, heads), 1 / Math.sqrt(d / heads)); // [B·h, Nq, d/h]
  const scores = tf.matMul(qh, splitHeads(k, heads), false, true); // [B·h, Nq, Nk]
  const out = tf.matMul(tf.softmax(scores), splitHeads(v, heads)); // [B·h, Nq, d/h]
  return mergeHeads(out, heads); // [B, Nq, D]
};

// ---------------------------------------------------------------------------------------------
// Parameter declarations and application by name prefix

/** PyTorch's default bound for weights and biases, U(-1/√fan_in, 1/√fan_in). */
const fanInInit = (fanIn: number) => ({ kind: "uniform", bound: 1 / Math.sqrt(fanIn) }) as const;

export interface LayerOptions {
  /** Zero-initialised weights and bias (ADM's `zero_module` for a block's last layer). Default false. */
  readonly zero?: boolean;
  /** With a bias. Default true. */
  readonly bias?: boolean;
}

/** Declares `${name}.w` [k, k, cin, cout] and `${name}.b` [cout]. */
export const declareConv = (
  p: ParamStore,
  name: string,
  k: number,
  cin: number,
  cout: number,
  opts: LayerOptions = {},
): void => {
  const init = opts.zero === true ? { kind: "zeros" } as const : fanInInit(k * k * cin);
  p.create(`${name}.w`, [k, k, cin, cout], init);
  if (opts.bias !== false) p.create(`${name}.b`, [cout], init);
};

/** Declares `${name}.w` [din, dout] and `${name}.b` [dout]. */
export const declareLinear = (
  p: ParamStore,
  name: string,
  din: number,
  dout: number,
  opts: LayerOptions = {},
): void => {
  const init = opts.zero === true ? { kind: "zeros" } as const : fanInInit(din);
  p.create(`${name}.w`, [din, dout], init);
  if (opts.bias !== false) p.create(`${name}.b`, [dout], init);
};

/** Declares a norm's `${name}.gamma` (ones) and `${name}.beta` (zeros), [c] each. */
export const declareNorm = (p: ParamStore, name: string, c: number): void => {
  p.create(`${name}.gamma`, [c], { kind: "ones" });
  p.create(`${name}.beta`, [c], { kind: "zeros" });
};

/**
 * Declares multi-head attention from width `dim` queries to `contextDim` keys/values:
 * `${name}.q/.k/.v` (no bias) and the output projection `${name}.o` (zero-initialised if asked).
 */
export const declareAttention = (
  p: ParamStore,
  name: string,
  dim: number,
  contextDim: number,
  opts: { readonly zeroOut?: boolean } = {},
): void => {
  declareLinear(p, `${name}.q`, dim, dim, { bias: false });
  declareLinear(p, `${name}.k`, contextDim, dim, { bias: false });
  declareLinear(p, `${name}.v`, contextDim, dim, { bias: false });
  declareLinear(p, `${name}.o`, dim, dim, { zero: opts.zeroOut === true });
};

const bias = (p: ParamStore, name: string): tf.Tensor1D | null =>
  p.has(`${name}.b`) ? p.get(`${name}.b`) as tf.Tensor1D : null;

export const conv = (p: ParamStore, name: string, x: tf.Tensor4D, stride: 1 | 2 = 1): tf.Tensor4D =>
  conv2d(x, p.get(`${name}.w`) as tf.Tensor4D, bias(p, name), stride);

/** Stride-2 3×3 convolution: [B, H, W, C] → [B, ceil(H/2), ceil(W/2), C']. */
export const downsample = (p: ParamStore, name: string, x: tf.Tensor4D): tf.Tensor4D =>
  conv(p, name, x, 2);

export const dense = (p: ParamStore, name: string, x: tf.Tensor): tf.Tensor =>
  linear(x, p.get(`${name}.w`) as tf.Tensor2D, bias(p, name));

export const norm = (p: ParamStore, name: string, x: tf.Tensor, groups: number): tf.Tensor =>
  groupNorm(x, p.get(`${name}.gamma`) as tf.Tensor1D, p.get(`${name}.beta`) as tf.Tensor1D, groups);

export const normSilu = (p: ParamStore, name: string, x: tf.Tensor, groups: number): tf.Tensor =>
  groupNormSilu(
    x,
    p.get(`${name}.gamma`) as tf.Tensor1D,
    p.get(`${name}.beta`) as tf.Tensor1D,
    groups,
  );

export const lnorm = (p: ParamStore, name: string, x: tf.Tensor): tf.Tensor =>
  layerNorm(x, p.get(`${name}.gamma`) as tf.Tensor1D, p.get(`${name}.beta`) as tf.Tensor1D);

/**
 * Multi-head attention declared by `declareAttention`: self-attention when `context` is null
 * (keys from x), cross-attention otherwise. x [B, N, D], context [B, M, Dc] → [B, N, D].
 */
export const mha = (
  p: ParamStore,
  name: string,
  x: tf.Tensor,
  context: tf.Tensor | null,
  heads: number,
): tf.Tensor => {
  const kv = context ?? x;
  const q = dense(p, `${name}.q`, x); // [B, N, D]
  const k = dense(p, `${name}.k`, kv); // [B, M, D]
  const v = dense(p, `${name}.v`, kv); // [B, M, D]
  return dense(p, `${name}.o`, attention(q, k, v, heads)); // [B, N, D]
};
