/**
 * A small CNN image classifier, trained by the pipelines themselves: its penultimate features
 * stand in for Inception's in the Fréchet distance (FD-clf) and coverage (docs/methods.md#fd-clf),
 * and feed the perceptual regression loss of the distillation study.
 *
 *   x [B, H, W, C] → per level: conv 3×3 → GN → SiLU → conv 3×3 → GN → SiLU (→ stride-2 conv)
 *   → global average pool = features [B, widths.at(-1)] → Linear → logits [B, numClasses]
 *
 * Works for any H, W (28 → 14 → 7 → 4, 32 → 16 → 8 → 4): the pool removes space.
 */
import { tf } from "../tensor/tf.ts";
import {
  conv,
  declareConv,
  declareLinear,
  declareNorm,
  dense,
  downsample,
  normSilu,
} from "./layers.ts";
import { ParamStore } from "./params.ts";

export interface ClassifierConfig {
  /** Image channels. Default 1. */
  readonly channels: number;
  /** Channels per level; a stride-2 conv between levels. Default [32, 64, 128]. */
  readonly widths: readonly number[];
  /** Output classes. Default 10. */
  readonly numClasses: number;
  /** GroupNorm groups; every width must divide by it. Default 8. */
  readonly groups: number;
}

export const defaultClassifierConfig: ClassifierConfig = {
  channels: 1,
  widths: [32, 64, 128],
  numClasses: 10,
  groups: 8,
};

export const classifierConfig = (overrides: Partial<ClassifierConfig> = {}): ClassifierConfig => {
  const c = { ...defaultClassifierConfig, ...overrides };
  const bad = c.widths.filter((w) => w % c.groups !== 0);
  if (c.widths.length === 0 || bad.length > 0 || c.numClasses < 1) {
    throw new Error(
      `invalid classifier config: widths [${c.widths}], groups ${c.groups}, numClasses ${c.numClasses}`,
    );
  }
  return c;
};

/** A parameter store holding a freshly initialised classifier (values fixed by `seed`). */
export const initClassifier = (config: ClassifierConfig, seed: number | string = 0): ParamStore => {
  const c = classifierConfig(config);
  const p = new ParamStore(seed);
  let ch = c.channels;
  c.widths.forEach((w, l) => {
    declareConv(p, `l${l}.conv1`, 3, ch, w);
    declareNorm(p, `l${l}.norm1`, w);
    declareConv(p, `l${l}.conv2`, 3, w, w);
    declareNorm(p, `l${l}.norm2`, w);
    if (l < c.widths.length - 1) declareConv(p, `l${l}.down`, 3, w, w);
    ch = w;
  });
  declareLinear(p, "head", ch, c.numClasses);
  return p;
};

/** x [B, H, W, C] → logits [B, numClasses] and penultimate features [B, widths.at(-1)]. */
export const classifierForward = (
  config: ClassifierConfig,
  p: ParamStore,
  x: tf.Tensor4D,
): { logits: tf.Tensor2D; features: tf.Tensor2D } => {
  let h = x;
  config.widths.forEach((_, l) => {
    h = normSilu(p, `l${l}.norm1`, conv(p, `l${l}.conv1`, h), config.groups) as tf.Tensor4D; // [B, h, w, w_l]
    h = normSilu(p, `l${l}.norm2`, conv(p, `l${l}.conv2`, h), config.groups) as tf.Tensor4D;
    if (l < config.widths.length - 1) h = downsample(p, `l${l}.down`, h); // [B, h/2, w/2, w_l]
  });
  const features = tf.mean(h, [1, 2]) as tf.Tensor2D; // [B, w_last], global average pool
  const logits = dense(p, "head", features) as tf.Tensor2D; // [B, numClasses]
  return { logits, features };
};

export interface Classifier {
  readonly config: ClassifierConfig;
  readonly params: ParamStore;
  forward(x: tf.Tensor4D): { logits: tf.Tensor2D; features: tf.Tensor2D };
  parameterCount(): number;
}

export const wrapClassifier = (config: ClassifierConfig, params: ParamStore): Classifier => ({
  config,
  params,
  forward: (x) => classifierForward(config, params, x),
  parameterCount: () => params.count(),
});

export const createClassifier = (
  config: Partial<ClassifierConfig> = {},
  seed: number | string = 0,
): Classifier => {
  const c = classifierConfig(config);
  return wrapClassifier(c, initClassifier(c, seed));
};
