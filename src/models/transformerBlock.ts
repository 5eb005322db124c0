/**
 * The transformer block of the UNet (Stable Diffusion's `Transformer2DModel` with depth 1) and
 * its inner token layer, which the ViT reuses.
 *
 * Spatial transformer, x [B, H, W, C] → [B, H, W, C]:
 *   h = proj_in(GroupNorm(x)) as H·W tokens
 *   h = h + SA(LN(h))            self-attention            (positions SA_in, SA_out)
 *   h = h + CA(LN(h), c)         cross-attention to c      (CA_in, CA_c, CA_out)
 *   h = h + FFN(LN(h))           Linear → SiLU → Linear    (FFN_in, FFN_out, Trans_out)
 *   out = x + proj_out(h)
 * Each sub-layer is pre-norm residual. Without condition tokens (c = null) the CA sub-layer is
 * skipped. Positions are defined in hooks.ts; this file calls `hooks.at` at each of them.
 */
import { tf } from "../tensor/tf.ts";
import {
  declareAttention,
  declareLinear,
  declareNorm,
  dense,
  lnorm,
  mha,
  norm,
  silu,
} from "./layers.ts";
import type { ParamStore } from "./params.ts";
import type { SiteHooks } from "./hooks.ts";

export interface TransformerLayerConfig {
  /** Token width D. */
  readonly dim: number;
  /** Attention heads; D must divide by it. */
  readonly heads: number;
  /** FFN hidden width = ffnMult · D. Typical 4. */
  readonly ffnMult: number;
  /** Width of the condition tokens, or null for a layer without cross-attention (ViT). */
  readonly contextDim: number | null;
  /** Zero-initialise each sub-layer's last projection (the layer starts as the identity). */
  readonly zeroInit: boolean;
}

/** Declares one SA → (CA) → FFN token layer under `name`. */
export const declareTransformerLayer = (
  p: ParamStore,
  name: string,
  c: TransformerLayerConfig,
): void => {
  declareNorm(p, `${name}.ln1`, c.dim);
  declareAttention(p, `${name}.sa`, c.dim, c.dim, { zeroOut: c.zeroInit });
  if (c.contextDim !== null) {
    declareNorm(p, `${name}.ln2`, c.dim);
    declareAttention(p, `${name}.ca`, c.dim, c.contextDim, { zeroOut: c.zeroInit });
  }
  declareNorm(p, `${name}.ln3`, c.dim);
  declareLinear(p, `${name}.ff1`, c.dim, c.ffnMult * c.dim);
  declareLinear(p, `${name}.ff2`, c.ffnMult * c.dim, c.dim, { zero: c.zeroInit });
};

/**
 * One SA → (CA) → FFN token layer. h [B, N, D], context [B, M, Dc] or null → [B, N, D].
 * `hooks` (optional) sees positions SA_in … Trans_out.
 */
export const transformerLayer = (
  p: ParamStore,
  name: string,
  c: TransformerLayerConfig,
  h: tf.Tensor,
  context: tf.Tensor | null,
  hooks?: SiteHooks,
): tf.Tensor => {
  const at = (pos: Parameters<SiteHooks["at"]>[0], x: tf.Tensor) =>
    hooks === undefined ? x : hooks.at(pos, x);

  h = at("SA_in", h); // [B, N, D]
  const sa = at("SA_out", mha(p, `${name}.sa`, lnorm(p, `${name}.ln1`, h), null, c.heads)); // [B, N, D]
  h = at("CA_in", tf.add(h, sa));

  if (context !== null) {
    if (c.contextDim === null) {
      throw new Error(`${name}: condition tokens given to a layer without cross-attention`);
    }
    const ctx = at("CA_c", context); // [B, M, Dc]
    const ca = at("CA_out", mha(p, `${name}.ca`, lnorm(p, `${name}.ln2`, h), ctx, c.heads)); // [B, N, D]
    h = tf.add(h, ca);
  }

  h = at("FFN_in", h);
  const ff = at(
    "FFN_out",
    dense(p, `${name}.ff2`, silu(dense(p, `${name}.ff1`, lnorm(p, `${name}.ln3`, h)))),
  ); // [B, N, D]
  return at("Trans_out", tf.add(h, ff)); // [B, N, D]
};

export interface SpatialTransformerConfig extends TransformerLayerConfig {
  /** GroupNorm groups of the input norm. */
  readonly groups: number;
}

/** Declares a spatial transformer (norm, proj_in, one token layer, proj_out) under `name`. */
export const declareSpatialTransformer = (
  p: ParamStore,
  name: string,
  c: SpatialTransformerConfig,
): void => {
  declareNorm(p, `${name}.norm`, c.dim);
  declareLinear(p, `${name}.proj_in`, c.dim, c.dim);
  declareTransformerLayer(p, `${name}.layer`, c);
  declareLinear(p, `${name}.proj_out`, c.dim, c.dim, { zero: c.zeroInit });
};

/** Spatial transformer: x [B, H, W, C], context [B, M, Dc] or null → [B, H, W, C]. */
export const spatialTransformer = (
  p: ParamStore,
  name: string,
  c: SpatialTransformerConfig,
  x: tf.Tensor4D,
  context: tf.Tensor | null,
  hooks?: SiteHooks,
): tf.Tensor4D => {
  const [b, hh, ww, ch] = x.shape;
  const tokens = tf.reshape(norm(p, `${name}.norm`, x, c.groups), [b, hh * ww, ch]); // [B, H·W, C]
  const h = transformerLayer(
    p,
    `${name}.layer`,
    c,
    dense(p, `${name}.proj_in`, tokens),
    context,
    hooks,
  );
  return tf.add(x, tf.reshape(dense(p, `${name}.proj_out`, h), x.shape)); // [B, H, W, C]
};
