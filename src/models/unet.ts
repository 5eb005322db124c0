/**
 * An ADM-style UNet (Dhariwal & Nichol 2021, "Diffusion Models Beat GANs"), NHWC, written as a
 * function over a named parameter store.
 *
 *   x ─ conv_in ─┬─ down level 0: resBlocksPerLevel × [res (+attn) (+transformer)], downsample
 *                ├─ down level 1 … (no downsample after the last level)
 *                ├─ middle: res, (attn | transformer | nothing), res
 *                └─ up levels in reverse: (resBlocksPerLevel + 1) × [concat skip, res (+attn)
 *                   (+transformer)], upsample ×2 + conv (not after level 0)
 *   → GroupNorm → SiLU → conv_out (zero-initialised)
 *
 * Conditioning: a sinusoidal embedding of t → MLP (→ timeEmbDim), plus a class embedding
 * (numClasses + 1 rows; row numClasses is the null class for classifier-free guidance), added
 * in every residual block. Transformer blocks cross-attend to `contextTokens` class tokens
 * looked up from a second table (or given directly). Without labels there is no class embedding
 * and no cross-attention.
 *
 * Images: H and W must divide by 2^(levels−1): 28 → 14 → 7 with three levels, 32 → 16 → 8.
 * Hook sites (hooks.ts): every residual block together with the transformer after it, if any.
 */
import { tf } from "../tensor/tf.ts";
import {
  conv,
  declareAttention,
  declareConv,
  declareLinear,
  declareNorm,
  dense,
  downsample,
  mha,
  norm,
  normSilu,
  silu,
  timestepEmbedding,
  upsample2x,
} from "./layers.ts";
import { type HookSite, SiteHooks, validateHooks } from "./hooks.ts";
import type { Denoiser, ForwardOptions } from "./model.ts";
import { ParamStore } from "./params.ts";
import {
  declareSpatialTransformer,
  spatialTransformer,
  type SpatialTransformerConfig,
} from "./transformerBlock.ts";

export interface UNetConfig {
  /** Image channels in and out. Default 1 (Fashion-MNIST). */
  readonly channels: number;
  /** Channels of each level; the number of levels is its length. Default [32, 64, 64]. */
  readonly widths: readonly number[];
  /** Residual blocks per level in the down path; the up path has one more. Default 2. */
  readonly resBlocksPerLevel: number;
  /** Levels (0 = full resolution) whose residual blocks are followed by self-attention. Default [2]. */
  readonly attentionLevels: readonly number[];
  /** Levels whose residual blocks are followed by a transformer block (SA → CA → FFN). Default []. */
  readonly transformerLevels: readonly number[];
  /** Between the two middle residual blocks. Default "attention". */
  readonly middle: "none" | "attention" | "transformer";
  /** GroupNorm groups; every width (and every concatenated width) must divide by it. Default 8. */
  readonly groups: number;
  /** Channels per attention head (heads = width / headDim). Default 32. */
  readonly headDim: number;
  /** Width of the time (and class) embedding. Default 4 · widths[0] = 128. */
  readonly timeEmbDim: number;
  /** Number of classes; 0 = unconditional. Labels run 0..numClasses (numClasses = null class). Default 0. */
  readonly numClasses: number;
  /** Condition tokens per class for cross-attention. Default 1. */
  readonly contextTokens: number;
  /** Width of the condition tokens. Default 64. */
  readonly contextDim: number;
  /** Transformer FFN hidden width = ffnMult · width. Default 4. */
  readonly ffnMult: number;
  /** Zero-initialise the last layer of every residual branch and conv_out, as ADM. Default true. */
  readonly zeroInit: boolean;
}

export const defaultUNetConfig: UNetConfig = {
  channels: 1,
  widths: [32, 64, 64],
  resBlocksPerLevel: 2,
  attentionLevels: [2],
  transformerLevels: [],
  middle: "attention",
  groups: 8,
  headDim: 32,
  timeEmbDim: 128,
  numClasses: 0,
  contextTokens: 1,
  contextDim: 64,
  ffnMult: 4,
  zeroInit: true,
};

/** The default config with `overrides`, checked. */
export const unetConfig = (overrides: Partial<UNetConfig> = {}): UNetConfig => {
  const c = { ...defaultUNetConfig, ...overrides };
  const problems: string[] = [];
  const L = c.widths.length;
  if (L < 1) problems.push("widths must not be empty");
  for (const l of [...c.attentionLevels, ...c.transformerLevels]) {
    if (!Number.isInteger(l) || l < 0 || l >= L) {
      problems.push(`level ${l} does not exist (levels 0..${L - 1})`);
    }
  }
  for (const w of c.widths) {
    if (w % c.groups !== 0) problems.push(`width ${w} does not divide into ${c.groups} groups`);
  }
  const attended = [
    ...c.attentionLevels,
    ...c.transformerLevels,
    ...(c.middle === "none" ? [] : [L - 1]),
  ];
  for (const l of attended) {
    const w = c.widths[l];
    if (w !== undefined && w % c.headDim !== 0) {
      problems.push(`width ${w} does not divide into heads of ${c.headDim}`);
    }
  }
  if (c.timeEmbDim <= 0 || c.resBlocksPerLevel < 1) {
    problems.push("timeEmbDim and resBlocksPerLevel must be ≥ 1");
  }
  if (!Number.isInteger(c.numClasses) || c.numClasses < 0) {
    problems.push("numClasses must be an integer ≥ 0");
  }
  if (problems.length > 0) throw new Error(`invalid UNet config:\n  - ${problems.join("\n  - ")}`);
  return c;
};

// ---------------------------------------------------------------------------------------------
// Layout: every unit (residual block + optional attention / transformer) with its channels.
// Both `initUNet` and `unetForward` walk this one list, so parameters and forward always agree.

interface Unit {
  readonly site: HookSite;
  readonly attention: boolean;
  readonly transformer: boolean;
}
interface Layout {
  readonly down: readonly { readonly units: readonly Unit[]; readonly downsample: boolean }[];
  readonly mid: readonly [Unit, Unit];
  readonly up: readonly {
    readonly level: number;
    readonly units: readonly Unit[];
    readonly upsample: boolean;
  }[];
}

const layout = (c: UNetConfig): Layout => {
  const L = c.widths.length;
  const unit = (
    name: string,
    level: number,
    cin: number,
    cout: number,
    attention = c.attentionLevels.includes(level),
    transformer = c.transformerLevels.includes(level),
  ): Unit => {
    const t = { dim: cout, contextDim: c.contextDim, contextTokens: c.contextTokens };
    const site = {
      name,
      level,
      factor: 2 ** level,
      resIn: cin,
      resOut: cout,
      transformer: transformer ? t : null,
    };
    return { site, attention, transformer };
  };
  const skips = [c.widths[0]!]; // channels of every skip tensor, in push order
  let ch = c.widths[0]!;
  const down = c.widths.map((w, l) => {
    const units = Array.from({ length: c.resBlocksPerLevel }, (_, i) => {
      const u = unit(`down.${l}.${i}`, l, ch, w);
      skips.push(ch = w);
      return u;
    });
    if (l < L - 1) skips.push(ch);
    return { units, downsample: l < L - 1 };
  });
  const mid: [Unit, Unit] = [
    unit("mid.0", L - 1, ch, ch, c.middle === "attention", c.middle === "transformer"),
    unit("mid.1", L - 1, ch, ch, false, false),
  ];
  const up = c.widths.map((_, i) => {
    const l = L - 1 - i;
    const units = Array.from({ length: c.resBlocksPerLevel + 1 }, (_, j) => {
      const u = unit(`up.${l}.${j}`, l, ch + skips.pop()!, c.widths[l]!);
      ch = c.widths[l]!;
      return u;
    });
    return { level: l, units, upsample: l > 0 };
  });
  return { down, mid, up };
};

/** Every hook site of the UNet in forward order (for sizing adapters). */
export const unetSites = (c: UNetConfig): HookSite[] => {
  const { down, mid, up } = layout(c);
  return [...down.flatMap((d) => d.units), ...mid, ...up.flatMap((u) => u.units)].map((u) =>
    u.site
  );
};

// ---------------------------------------------------------------------------------------------
// Parameters

const transformerConfig = (c: UNetConfig, dim: number): SpatialTransformerConfig => ({
  dim,
  heads: dim / c.headDim,
  ffnMult: c.ffnMult,
  contextDim: c.contextDim,
  zeroInit: c.zeroInit,
  groups: c.groups,
});

/** Declares a residual block (cin → cout channels, time embedding of width `embDim`) under `name`. */
export const declareResBlock = (
  p: ParamStore,
  name: string,
  cin: number,
  cout: number,
  embDim: number,
  zeroInit: boolean,
): void => {
  declareNorm(p, `${name}.norm1`, cin);
  declareConv(p, `${name}.conv1`, 3, cin, cout);
  declareLinear(p, `${name}.emb`, embDim, cout);
  declareNorm(p, `${name}.norm2`, cout);
  declareConv(p, `${name}.conv2`, 3, cout, cout, { zero: zeroInit });
  if (cin !== cout) declareConv(p, `${name}.skip`, 1, cin, cout);
};

const declareUnit = (p: ParamStore, c: UNetConfig, u: Unit): void => {
  const { name, resIn, resOut } = u.site;
  declareResBlock(p, `${name}.res`, resIn, resOut, c.timeEmbDim, c.zeroInit);
  if (u.attention) {
    declareNorm(p, `${name}.attn.norm`, resOut);
    declareAttention(p, `${name}.attn`, resOut, resOut, { zeroOut: c.zeroInit });
  }
  if (u.transformer) declareSpatialTransformer(p, `${name}.trans`, transformerConfig(c, resOut));
};

/** A parameter store holding a freshly initialised UNet (values fixed by `seed`). */
export const initUNet = (config: UNetConfig, seed: number | string = 0): ParamStore => {
  const c = unetConfig(config);
  const p = new ParamStore(seed);
  const { down, mid, up } = layout(c);
  const w0 = c.widths[0]!;
  declareLinear(p, "time.l1", w0, c.timeEmbDim);
  declareLinear(p, "time.l2", c.timeEmbDim, c.timeEmbDim);
  if (c.numClasses > 0) {
    p.create("class_emb", [c.numClasses + 1, c.timeEmbDim], { kind: "normal", std: 1 });
    if (c.middle === "transformer" || c.transformerLevels.length > 0) {
      p.create("context_emb", [c.numClasses + 1, c.contextTokens * c.contextDim], {
        kind: "normal",
        std: 1,
      });
    }
  }
  declareConv(p, "conv_in", 3, c.channels, w0);
  down.forEach((d, l) => {
    for (const u of d.units) declareUnit(p, c, u);
    if (d.downsample) declareConv(p, `down.${l}.down`, 3, c.widths[l]!, c.widths[l]!);
  });
  for (const u of mid) declareUnit(p, c, u);
  for (const lvl of up) {
    for (const u of lvl.units) declareUnit(p, c, u);
    if (lvl.upsample) {
      declareConv(p, `up.${lvl.level}.up`, 3, c.widths[lvl.level]!, c.widths[lvl.level]!);
    }
  }
  declareNorm(p, "out.norm", w0);
  declareConv(p, "conv_out", 3, w0, c.channels, { zero: c.zeroInit });
  return p;
};

// ---------------------------------------------------------------------------------------------
// Forward

/**
 * Residual block (positions Res_in, Res_out): x [B, H, W, Cin], embAct = SiLU(emb) [B, E]
 * → [B, H, W, Cout].
 */
export const resBlock = (
  p: ParamStore,
  groups: number,
  name: string,
  x: tf.Tensor4D,
  embAct: tf.Tensor,
  hooks?: SiteHooks,
): tf.Tensor4D => {
  if (hooks !== undefined) x = hooks.at("Res_in", x) as tf.Tensor4D;
  let h = conv(p, `${name}.conv1`, normSilu(p, `${name}.norm1`, x, groups) as tf.Tensor4D); // [B, H, W, Cout]
  const e = dense(p, `${name}.emb`, embAct); // [B, Cout]
  h = tf.add(h, tf.reshape(e, [e.shape[0]!, 1, 1, e.shape[1]!])); // + time/class embedding
  h = conv(p, `${name}.conv2`, normSilu(p, `${name}.norm2`, h, groups) as tf.Tensor4D); // [B, H, W, Cout]
  const skip = p.has(`${name}.skip.w`) ? conv(p, `${name}.skip`, x) : x; // 1×1 conv if Cin ≠ Cout
  const out = tf.add(skip, h) as tf.Tensor4D; // [B, H, W, Cout]
  return hooks === undefined ? out : hooks.at("Res_out", out) as tf.Tensor4D;
};

/** Self-attention over the H·W tokens: x [B, H, W, C] → [B, H, W, C]. */
const attnBlock = (p: ParamStore, c: UNetConfig, name: string, x: tf.Tensor4D): tf.Tensor4D => {
  const [b, h, w, ch] = x.shape;
  const tokens = tf.reshape(norm(p, `${name}.norm`, x, c.groups), [b, h * w, ch]); // [B, H·W, C]
  return tf.add(x, tf.reshape(mha(p, name, tokens, null, ch / c.headDim), x.shape)); // [B, H, W, C]
};

const runUnit = (
  p: ParamStore,
  c: UNetConfig,
  u: Unit,
  h: tf.Tensor4D,
  embAct: tf.Tensor,
  context: tf.Tensor | null,
  options: ForwardOptions,
): tf.Tensor4D => {
  const hooks = new SiteHooks(options.hooks, u.site);
  h = resBlock(p, c.groups, `${u.site.name}.res`, h, embAct, hooks);
  if (u.attention) h = attnBlock(p, c, `${u.site.name}.attn`, h);
  if (u.transformer) {
    h = spatialTransformer(
      p,
      `${u.site.name}.trans`,
      transformerConfig(c, u.site.resOut),
      h,
      context,
      hooks,
    );
  }
  return h;
};

/**
 * The UNet's forward pass. x [B, H, W, channels], t [B] float timestep index, classLabels [B]
 * int32 in 0..numClasses or omitted → [B, H, W, channels].
 */
export const unetForward = (
  config: UNetConfig,
  p: ParamStore,
  x: tf.Tensor4D,
  t: tf.Tensor1D,
  classLabels?: tf.Tensor1D,
  options: ForwardOptions = {},
): tf.Tensor4D => {
  const c = config;
  const [b, height, width] = x.shape;
  const f = 2 ** (c.widths.length - 1);
  if (height % f !== 0 || width % f !== 0) {
    throw new Error(
      `UNet with ${c.widths.length} levels needs H and W divisible by ${f}, got ${height}×${width}`,
    );
  }
  if (classLabels !== undefined && c.numClasses === 0) {
    throw new Error("class labels given to an unconditional UNet");
  }
  validateHooks(options.hooks);
  const { down, mid, up } = layout(c);

  // Conditioning: time MLP (+ class embedding); condition tokens for cross-attention.
  let emb = dense(p, "time.l2", silu(dense(p, "time.l1", timestepEmbedding(t, c.widths[0]!)))); // [B, E]
  if (classLabels !== undefined) emb = tf.add(emb, tf.gather(p.get("class_emb"), classLabels)); // [B, E]
  const embAct = silu(emb); // [B, E], shared by every residual block
  let context: tf.Tensor | null = options.context ?? null; // [B, M, Dc]
  if (context === null && classLabels !== undefined && p.has("context_emb")) {
    context = tf.reshape(tf.gather(p.get("context_emb"), classLabels), [
      b,
      c.contextTokens,
      c.contextDim,
    ]);
  }

  // Down path, keeping every intermediate for the skips.
  let h = conv(p, "conv_in", x); // [B, H, W, w0]
  const skips: tf.Tensor4D[] = [h];
  down.forEach((d, l) => {
    for (const u of d.units) {
      h = runUnit(p, c, u, h, embAct, context, options); // [B, H/2^l, W/2^l, w_l]
      skips.push(h);
    }
    if (d.downsample) {
      h = downsample(p, `down.${l}.down`, h); // [B, H/2^(l+1), W/2^(l+1), w_l]
      skips.push(h);
    }
  });

  // Middle.
  for (const u of mid) h = runUnit(p, c, u, h, embAct, context, options);

  // Up path: each unit consumes one skip (concatenated on channels).
  for (const lvl of up) {
    for (const u of lvl.units) {
      h = tf.concat([h, skips.pop()!], 3); // [B, h, w, C + C_skip]
      h = runUnit(p, c, u, h, embAct, context, options); // [B, h, w, w_l]
    }
    if (lvl.upsample) h = conv(p, `up.${lvl.level}.up`, upsample2x(h)); // [B, 2h, 2w, w_l]
  }

  return conv(p, "conv_out", normSilu(p, "out.norm", h, c.groups) as tf.Tensor4D); // [B, H, W, channels]
};

/** A UNet denoiser: config, freshly initialised parameters, forward. */
export const createUNet = (
  config: Partial<UNetConfig> = {},
  seed: number | string = 0,
): Denoiser<UNetConfig> => {
  const c = unetConfig(config);
  return wrapUNet(c, initUNet(c, seed));
};

/** A UNet denoiser over existing parameters (e.g. loaded from a checkpoint). */
export const wrapUNet = (config: UNetConfig, params: ParamStore): Denoiser<UNetConfig> => ({
  kind: "unet",
  config,
  params,
  forward: (x, t, classLabels, options) => unetForward(config, params, x, t, classLabels, options),
  clone: () => wrapUNet(config, params.clone()),
  parameterCount: () => params.count(),
});
