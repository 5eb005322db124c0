/**
 * The engine benchmark's UNet: a fixed DDPM-style network, self-contained (the real models live
 * in src/models/). bench/engine_torch.py builds the same network in PyTorch; keep them in step.
 *
 * Layout NHWC, input [B, 32, 32, 1]. Widths 32/64/128, 2 res blocks per level on the way down
 * and up (each up block takes one skip connection), GroupNorm(8) + SiLU, single-head
 * self-attention after every res block at 8×8, one mid res block, sinusoidal time embedding of
 * 32 → MLP 128 (2.95M parameters). Downsampling: 3×3 stride-2 conv; upsampling: nearest 2× then 3×3 conv.
 */
import { tf } from "../src/tensor/tf.ts";
import { groupNorm, groupNormSilu } from "../src/engine/groupNorm.ts";

export interface UNetConfig {
  readonly widths: readonly number[];
  readonly resBlocks: number;
  /** Spatial size at which attention is applied. */
  readonly attnSize: number;
  readonly groups: number;
  readonly tembDim: number;
  readonly imageSize: number;
  readonly channels: number;
}

export const BENCH_UNET: UNetConfig = {
  widths: [32, 64, 128],
  resBlocks: 2,
  attnSize: 8,
  groups: 8,
  tembDim: 128,
  imageSize: 32,
  channels: 1,
};

type P = Map<string, tf.Variable>;

/** Parameters with fan-in scaled normal init from one seed (deterministic per name order). */
class Init {
  readonly params: P = new Map();
  private seed: number;
  constructor(seed: number) {
    this.seed = seed;
  }
  w(name: string, shape: number[], fanIn: number, scale = 1): tf.Variable {
    const v = tf.variable(
      tf.randomNormal(shape, 0, scale * Math.sqrt(1 / fanIn), "float32", this.seed++),
      true,
      name,
    );
    this.params.set(name, v);
    return v;
  }
  c(name: string, shape: number[], value: number): tf.Variable {
    const v = tf.variable(tf.fill(shape, value), true, name);
    this.params.set(name, v);
    return v;
  }
}

export interface UNet {
  readonly params: P;
  readonly paramCount: number;
  /** x: [B, H, W, C], t: [B] integer steps → predicted noise [B, H, W, C]. */
  apply(x: tf.Tensor4D, t: tf.Tensor1D): tf.Tensor4D;
}

export function createUNet(cfg: UNetConfig = BENCH_UNET, seed = 1): UNet {
  const init = new Init(seed);
  const g = cfg.groups;
  let uid = 0;

  const conv = (ci: number, co: number, k: number, stride = 1) => {
    const id = `conv${uid++}`;
    const w = init.w(`${id}/w`, [k, k, ci, co], ci * k * k);
    const b = init.c(`${id}/b`, [co], 0);
    return (x: tf.Tensor4D) =>
      tf.fused.conv2d({
        x,
        filter: w as unknown as tf.Tensor4D,
        bias: b,
        strides: stride,
        pad: "same",
      }) as tf.Tensor4D;
  };
  const dense = (ci: number, co: number) => {
    const id = `dense${uid++}`;
    const w = init.w(`${id}/w`, [ci, co], ci);
    const b = init.c(`${id}/b`, [co], 0);
    return (x: tf.Tensor2D) => tf.fused.matMul({ a: x, b: w, bias: b }) as tf.Tensor2D;
  };
  const norm = (c: number) => {
    const id = `gn${uid++}`;
    return { gamma: init.c(`${id}/g`, [c], 1), beta: init.c(`${id}/b`, [c], 0) };
  };

  const resBlock = (ci: number, co: number) => {
    const n1 = norm(ci), c1 = conv(ci, co, 3), tproj = dense(cfg.tembDim, co);
    const n2 = norm(co), c2 = conv(co, co, 3);
    const skip = ci === co ? undefined : conv(ci, co, 1);
    return (x: tf.Tensor4D, temb: tf.Tensor2D) => {
      let h = c1(groupNormSilu(x, n1.gamma as tf.Tensor1D, n1.beta as tf.Tensor1D, g));
      const tb = tproj(tf.mul(temb, tf.sigmoid(temb))); // [B, co]
      h = h.add(tb.reshape([tb.shape[0], 1, 1, co]));
      h = c2(groupNormSilu(h, n2.gamma as tf.Tensor1D, n2.beta as tf.Tensor1D, g));
      return (skip ? skip(x) : x).add(h) as tf.Tensor4D;
    };
  };

  const attention = (c: number) => {
    const n = norm(c), q = dense(c, c), k = dense(c, c), v = dense(c, c), o = dense(c, c);
    return (x: tf.Tensor4D) => {
      const [b, hh, ww] = x.shape;
      const h = groupNorm(x, n.gamma as tf.Tensor1D, n.beta as tf.Tensor1D, g)
        .reshape([b * hh * ww, c]) as tf.Tensor2D;
      const split = (t: tf.Tensor2D) => t.reshape([b, hh * ww, c]) as tf.Tensor3D;
      const qs = split(q(h)), ks = split(k(h)), vs = split(v(h));
      const att = tf.softmax(tf.matMul(qs, ks, false, true).mul(1 / Math.sqrt(c))); // [B, HW, HW]
      const out = o(tf.matMul(att, vs).reshape([b * hh * ww, c]) as tf.Tensor2D);
      return x.add(out.reshape([b, hh, ww, c])) as tf.Tensor4D;
    };
  };

  const [w0] = cfg.widths as [number];
  const tfreq = cfg.widths[0]!; // sinusoidal embedding size
  const t1 = dense(tfreq, cfg.tembDim), t2 = dense(cfg.tembDim, cfg.tembDim);
  const convIn = conv(cfg.channels, w0, 3);

  type Block = (x: tf.Tensor4D, temb: tf.Tensor2D) => tf.Tensor4D;
  const down: { blocks: Block[]; downsample?: (x: tf.Tensor4D) => tf.Tensor4D }[] = [];
  const skipsC: number[] = [];
  let ch = w0, size = cfg.imageSize;
  cfg.widths.forEach((w, level) => {
    const blocks: Block[] = [];
    for (let r = 0; r < cfg.resBlocks; r++) {
      const rb = resBlock(ch, w);
      const at = size === cfg.attnSize ? attention(w) : undefined;
      blocks.push(at ? (x, te) => at(rb(x, te)) : rb);
      ch = w;
      skipsC.push(ch);
    }
    const last = level === cfg.widths.length - 1;
    down.push(last ? { blocks } : { blocks, downsample: conv(ch, ch, 3, 2) });
    if (!last) size /= 2;
  });
  const mid = resBlock(ch, ch);

  const up: { blocks: Block[]; upsample?: (x: tf.Tensor4D) => tf.Tensor4D }[] = [];
  [...cfg.widths].reverse().forEach((w, i) => {
    const blocks: Block[] = [];
    for (let r = 0; r < cfg.resBlocks; r++) {
      const rb = resBlock(ch + skipsC.pop()!, w);
      const at = size === cfg.attnSize ? attention(w) : undefined;
      blocks.push(at ? (x, te) => at(rb(x, te)) : rb);
      ch = w;
    }
    const last = i === cfg.widths.length - 1;
    if (!last) {
      const c = conv(ch, ch, 3);
      up.push({
        blocks,
        upsample: (x) => c(tf.image.resizeNearestNeighbor(x, [x.shape[1] * 2, x.shape[2] * 2])),
      });
      size *= 2;
    } else up.push({ blocks });
  });
  const outNorm = norm(ch), convOut = conv(ch, cfg.channels, 3);

  const apply = (x: tf.Tensor4D, t: tf.Tensor1D): tf.Tensor4D => {
    const half = tfreq / 2;
    const freqs = tf.exp(tf.range(0, half).mul(-Math.log(10000) / half)); // [half]
    const args = t.reshape([-1, 1]).mul(freqs.reshape([1, half])); // [B, half]
    let temb = tf.concat([tf.sin(args), tf.cos(args)], 1) as tf.Tensor2D;
    const e = t1(temb);
    temb = t2(tf.mul(e, tf.sigmoid(e))); // MLP with SiLU
    let h = convIn(x);
    const skips: tf.Tensor4D[] = [];
    for (const level of down) {
      for (const b of level.blocks) {
        h = b(h, temb);
        skips.push(h);
      }
      if (level.downsample) h = level.downsample(h);
    }
    h = mid(h, temb);
    for (const level of up) {
      for (const b of level.blocks) h = b(tf.concat([h, skips.pop()!], 3) as tf.Tensor4D, temb);
      if (level.upsample) h = level.upsample(h);
    }
    return convOut(
      groupNormSilu(h, outNorm.gamma as tf.Tensor1D, outNorm.beta as tf.Tensor1D, g),
    );
  };

  let paramCount = 0;
  for (const v of init.params.values()) paramCount += v.size;
  return { params: init.params, paramCount, apply };
}
