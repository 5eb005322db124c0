/**
 * A small U-ViT (Bao et al. 2023, "All are Worth Words: A ViT Backbone for Diffusion Models"),
 * the second backbone family, with the UNet's forward signature.
 *
 *   x [B, H, W, C] → patches (P×P conv, stride P) → N = (H/P)·(W/P) tokens of width D
 *   tokens = [time token, class token (if labels), patches] + positional embedding
 *   depth layers (pre-norm SA → FFN, transformerBlock.ts without cross-attention):
 *     (depth−1)/2 "in" layers, each output kept as a long skip;
 *     1 middle layer;
 *     (depth−1)/2 "out" layers, each first mixing in the matching skip: Linear(concat(h, skip))
 *   → LayerNorm → Linear(D → P·P·C) on the patch tokens → unpatchify → conv 3×3 (zero-init)
 *
 * Time enters as a token (sinusoidal embedding → MLP), the class as a token from a table with
 * numClasses + 1 rows (row numClasses = null class for classifier-free guidance). Without
 * labels the class token is left out. The image size is fixed by the positional embedding.
 */
import { tf } from "../tensor/tf.ts";
import {
  conv,
  declareConv,
  declareLinear,
  declareNorm,
  dense,
  lnorm,
  silu,
  timestepEmbedding,
} from "./layers.ts";
import type { Denoiser, ForwardOptions } from "./model.ts";
import { ParamStore } from "./params.ts";
import {
  declareTransformerLayer,
  transformerLayer,
  type TransformerLayerConfig,
} from "./transformerBlock.ts";

export interface ViTConfig {
  /** Image channels in and out. Default 1. */
  readonly channels: number;
  /** Image height = width. Default 28. */
  readonly imageSize: number;
  /** Patch side; imageSize must divide by it. Default 4 (28 px → 49 tokens). */
  readonly patchSize: number;
  /** Token width. Default 128. */
  readonly dim: number;
  /** Transformer layers, odd (in-layers, a middle layer, out-layers). Default 7. */
  readonly depth: number;
  /** Attention heads. Default 4. */
  readonly heads: number;
  /** FFN hidden width = ffnMult · dim. Default 4. */
  readonly ffnMult: number;
  /** Number of classes; 0 = unconditional. Default 0. */
  readonly numClasses: number;
  /** Zero-initialise the final conv. Default true. */
  readonly zeroInit: boolean;
}

export const defaultViTConfig: ViTConfig = {
  channels: 1,
  imageSize: 28,
  patchSize: 4,
  dim: 128,
  depth: 7,
  heads: 4,
  ffnMult: 4,
  numClasses: 0,
  zeroInit: true,
};

export const vitConfig = (overrides: Partial<ViTConfig> = {}): ViTConfig => {
  const c = { ...defaultViTConfig, ...overrides };
  const problems: string[] = [];
  if (c.imageSize % c.patchSize !== 0) {
    problems.push(`imageSize ${c.imageSize} does not divide by patchSize ${c.patchSize}`);
  }
  if (c.depth < 1 || c.depth % 2 !== 1) problems.push(`depth must be odd, got ${c.depth}`);
  if (c.dim % c.heads !== 0) problems.push(`dim ${c.dim} does not divide into ${c.heads} heads`);
  if (c.dim % 2 !== 0) problems.push(`dim must be even (sinusoidal time embedding), got ${c.dim}`);
  if (!Number.isInteger(c.numClasses) || c.numClasses < 0) {
    problems.push("numClasses must be an integer ≥ 0");
  }
  if (problems.length > 0) throw new Error(`invalid ViT config:\n  - ${problems.join("\n  - ")}`);
  return c;
};

const layerConfig = (c: ViTConfig): TransformerLayerConfig => ({
  dim: c.dim,
  heads: c.heads,
  ffnMult: c.ffnMult,
  contextDim: null,
  zeroInit: false,
});

const half = (c: ViTConfig) => (c.depth - 1) / 2;

/** A parameter store holding a freshly initialised U-ViT (values fixed by `seed`). */
export const initViT = (config: ViTConfig, seed: number | string = 0): ParamStore => {
  const c = vitConfig(config);
  const p = new ParamStore(seed);
  const n = (c.imageSize / c.patchSize) ** 2;
  declareConv(p, "patch", c.patchSize, c.channels, c.dim);
  declareLinear(p, "time.l1", c.dim, 4 * c.dim);
  declareLinear(p, "time.l2", 4 * c.dim, c.dim);
  if (c.numClasses > 0) {
    p.create("class_emb", [c.numClasses + 1, c.dim], { kind: "normal", std: 0.02 });
  }
  p.create("pos_emb", [2 + n, c.dim], { kind: "normal", std: 0.02 }); // time, class, patches
  for (let i = 0; i < half(c); i++) declareTransformerLayer(p, `in.${i}`, layerConfig(c));
  declareTransformerLayer(p, "mid", layerConfig(c));
  for (let i = 0; i < half(c); i++) {
    declareLinear(p, `out.${i}.skip`, 2 * c.dim, c.dim);
    declareTransformerLayer(p, `out.${i}`, layerConfig(c));
  }
  declareNorm(p, "final.norm", c.dim);
  declareLinear(p, "final.proj", c.dim, c.patchSize * c.patchSize * c.channels);
  declareConv(p, "final.conv", 3, c.channels, c.channels, { zero: c.zeroInit });
  return p;
};

/**
 * The U-ViT forward pass. x [B, S, S, channels] with S = imageSize, t [B] float timestep index,
 * classLabels [B] int32 in 0..numClasses or omitted → [B, S, S, channels].
 */
export const vitForward = (
  config: ViTConfig,
  p: ParamStore,
  x: tf.Tensor4D,
  t: tf.Tensor1D,
  classLabels?: tf.Tensor1D,
  options: ForwardOptions = {},
): tf.Tensor4D => {
  const c = config;
  const [b, height, width, ch] = x.shape;
  if (height !== c.imageSize || width !== c.imageSize) {
    throw new Error(`ViT built for ${c.imageSize}×${c.imageSize} images, got ${height}×${width}`);
  }
  if (classLabels !== undefined && c.numClasses === 0) {
    throw new Error("class labels given to an unconditional ViT");
  }
  if (options.hooks !== undefined || options.context !== undefined) {
    throw new Error("the ViT supports neither hooks nor condition tokens (UNet only)");
  }
  const P = c.patchSize;
  const g = c.imageSize / P; // patches per side
  const n = g * g;

  // Tokens: time, class, patches, plus positions.
  const patches = tf.reshape(tf.conv2d(x, p.get("patch.w") as tf.Tensor4D, P, "valid"), [
    b,
    n,
    c.dim,
  ]); // [B, N, D]
  const patchTokens = tf.add(patches, p.get("patch.b")); // [B, N, D]
  const time = dense(p, "time.l2", silu(dense(p, "time.l1", timestepEmbedding(t, c.dim)))); // [B, D]
  const pos = p.get("pos_emb"); // [2 + N, D]
  const parts: tf.Tensor[] = [
    tf.reshape(tf.add(time, tf.slice(pos, [0, 0], [1, c.dim])), [b, 1, c.dim]),
  ];
  if (classLabels !== undefined) {
    const cls = tf.add(
      tf.gather(p.get("class_emb"), classLabels),
      tf.slice(pos, [1, 0], [1, c.dim]),
    ); // [B, D]
    parts.push(tf.reshape(cls, [b, 1, c.dim]));
  }
  parts.push(tf.add(patchTokens, tf.slice(pos, [2, 0], [n, c.dim])));
  let h = tf.concat(parts, 1); // [B, E + N, D], E = 1 or 2 extra tokens
  const extras = parts.length - 1;

  // Layers with long skips.
  const lc = layerConfig(c);
  const skips: tf.Tensor[] = [];
  for (let i = 0; i < half(c); i++) {
    h = transformerLayer(p, `in.${i}`, lc, h, null);
    skips.push(h);
  }
  h = transformerLayer(p, "mid", lc, h, null);
  for (let i = 0; i < half(c); i++) {
    h = dense(p, `out.${i}.skip`, tf.concat([h, skips.pop()!], 2)); // [B, E + N, 2D] → [B, E + N, D]
    h = transformerLayer(p, `out.${i}`, lc, h, null);
  }

  // Back to pixels.
  h = dense(p, "final.proj", lnorm(p, "final.norm", h)); // [B, E + N, P·P·C]
  h = tf.slice(h, [0, extras, 0], [b, n, P * P * ch]); // [B, N, P·P·C], extra tokens dropped
  return conv(p, "final.conv", unpatchify(h, P, ch)); // [B, S, S, C]
};

/**
 * Patch tokens back to an image: tokens [B, g·g, P·P·C] (row-major grid, each token's values in
 * (row, column, channel) order within its patch, like a P×P stride-P conv's kernel) → [B, gP, gP, C].
 */
export const unpatchify = (tokens: tf.Tensor, P: number, ch: number): tf.Tensor4D => {
  const [b, n] = tokens.shape as [number, number, number];
  const g = Math.round(Math.sqrt(n));
  const grid = tf.transpose(tf.reshape(tokens, [b, g, g, P, P, ch]), [0, 1, 3, 2, 4, 5]); // [B, g, P, g, P, C]
  return tf.reshape(grid, [b, g * P, g * P, ch]) as tf.Tensor4D; // [B, S, S, C]
};

/** A U-ViT denoiser: config, freshly initialised parameters, forward. */
export const createViT = (
  config: Partial<ViTConfig> = {},
  seed: number | string = 0,
): Denoiser<ViTConfig> => {
  const c = vitConfig(config);
  return wrapViT(c, initViT(c, seed));
};

/** A U-ViT denoiser over existing parameters. */
export const wrapViT = (config: ViTConfig, params: ParamStore): Denoiser<ViTConfig> => ({
  kind: "vit",
  config,
  params,
  forward: (x, t, classLabels, options) => vitForward(config, params, x, t, classLabels, options),
  clone: () => wrapViT(config, params.clone()),
  parameterCount: () => params.count(),
});
