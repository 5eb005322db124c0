/**
 * AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization") over a named parameter
 * store, with linear warm-up and gradient clipping by global norm.
 *
 * Written here rather than taken from tf.train because training must checkpoint and resume the
 * optimizer's moments exactly, clip gradients, and decay weights decoupled from the gradient.
 */
import { tf } from "../tensor/tf.ts";
import { readFloat32, takeFloat32 } from "../tensor/read.ts";
import type { ParamStore } from "../models/params.ts";
import type { TensorMap } from "../tensor/tensorMap.ts";
import { captureStep } from "../engine/mod.ts";

export interface AdamWConfig {
  /** Peak learning rate, reached after `warmupSteps`. */
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** Decoupled weight decay (applied as lr · wd · θ). */
  readonly weightDecay: number;
  /** Linear warm-up from 0 to lr over this many steps (0: none). */
  readonly warmupSteps: number;
  /** Clip the global gradient norm to this value (0: no clipping). */
  readonly gradClip: number;
}

export const defaultAdamW: AdamWConfig = {
  lr: 1e-4,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0,
  warmupSteps: 0,
  gradClip: 1,
};

export interface AdamW {
  /** Steps taken so far. */
  readonly step: () => number;
  /**
   * Applies one update from `grads` (by parameter name); returns the pre-clip gradient norm. A
   * non-finite norm is returned without any update. `squaredNorm`, when given, is Σ g² over every
   * gradient already computed (`squaredGradNorm` inside a captured loss graph); it is disposed here.
   */
  update(grads: Readonly<Record<string, tf.Tensor>>, squaredNorm?: tf.Scalar): Promise<number>;
  /** Moments and step count, for checkpoints. */
  exportState(): Promise<TensorMap>;
  importState(state: TensorMap): void;
  dispose(): void;
}

/** Σ g² over the named gradients: the squared global norm that AdamW clips by. */
export const squaredGradNorm = (
  grads: Readonly<Record<string, tf.Tensor>>,
  names: readonly string[],
): tf.Scalar => tf.addN(names.map((n) => tf.sum(tf.square(grads[n]!))));

export const learningRateAt = (config: AdamWConfig, step: number): number =>
  config.warmupSteps > 0 ? config.lr * Math.min(1, (step + 1) / config.warmupSteps) : config.lr;

export const makeAdamW = (params: ParamStore, config: AdamWConfig): AdamW => {
  const names = params.trainableNames();
  const m = new Map<string, tf.Variable>();
  const v = new Map<string, tf.Variable>();
  for (const name of names) {
    const p = params.get(name);
    m.set(name, tf.variable(tf.zerosLike(p), false));
    v.set(name, tf.variable(tf.zerosLike(p), false));
  }
  let t = 0;
  /** θ ← θ − lr·( m̂ / (√v̂ + ε) + wd·θ ), m and v updated; one tensor per per-step number. */
  const update = (...xs: tf.Tensor[]): tf.Tensor => {
    const [lr, scale, c1, c2, decay] = xs.slice(0, 5) as tf.Scalar[];
    names.forEach((name, k) => {
      const g = xs[5 + k]!;
      const p = params.get(name);
      const mi = m.get(name)!;
      const vi = v.get(name)!;
      const gs = tf.mul(g, scale!);
      const mNew = tf.add(tf.mul(mi, config.beta1), tf.mul(gs, 1 - config.beta1));
      const vNew = tf.add(tf.mul(vi, config.beta2), tf.mul(tf.square(gs), 1 - config.beta2));
      mi.assign(mNew);
      vi.assign(vNew);
      const stepDir = tf.div(tf.div(mNew, c1!), tf.add(tf.sqrt(tf.div(vNew, c2!)), config.eps));
      const decayed = config.weightDecay > 0 ? tf.mul(p, decay!) : p;
      p.assign(tf.sub(decayed, tf.mul(stepDir, lr!)));
    });
    return lr!;
  };
  const applyUpdate = captureStep(update, {
    key: `adamw:${JSON.stringify(config)}:${names.join(",")}`,
    state: () => [...names.map((n) => params.get(n)), ...m.values(), ...v.values()],
  });
  return {
    step: () => t,
    update: async (grads, squaredNorm) => {
      const squared = squaredNorm ?? tf.tidy(() => squaredGradNorm(grads, names));
      const norm = Math.sqrt((await takeFloat32(squared))[0]!);
      // a non-finite gradient is never applied (nor counted): the caller sees the norm and stops
      if (!Number.isFinite(norm)) return norm;
      const missing = names.find((n) => grads[n] === undefined);
      if (missing !== undefined) throw new Error(`AdamW: no gradient for parameter "${missing}"`);
      const lr = learningRateAt(config, t);
      t += 1;
      // clipping scales every gradient by one factor, so the direction is kept
      const scale = config.gradClip > 0 && norm > config.gradClip ? config.gradClip / norm : 1;
      const c1 = 1 - config.beta1 ** t;
      const c2 = 1 - config.beta2 ** t;
      // per-step numbers enter as float32 scalars (as constants they would round the same way),
      // so that on the ort engine the whole update runs as one captured program
      tf.tidy(() => {
        const scalars = [lr, scale, c1, c2, 1 - lr * config.weightDecay].map((x) => tf.scalar(x));
        applyUpdate(...scalars, ...names.map((n) => grads[n]!));
      });
      return norm;
    },
    exportState: async () => {
      const out: TensorMap = { "adamw.step": { shape: [1], data: new Float32Array([t]) } };
      for (const name of names) {
        out[`m.${name}`] = { shape: m.get(name)!.shape, data: await readFloat32(m.get(name)!) };
        out[`v.${name}`] = { shape: v.get(name)!.shape, data: await readFloat32(v.get(name)!) };
      }
      return out;
    },
    importState: (state) => {
      const step = state["adamw.step"];
      if (!step) throw new Error("AdamW state has no step count");
      t = step.data[0]!;
      for (const name of names) {
        const ms = state[`m.${name}`];
        const vs = state[`v.${name}`];
        if (!ms || !vs) throw new Error(`AdamW state lacks the moments of "${name}"`);
        m.get(name)!.assign(tf.tensor(ms.data as Float32Array, [...ms.shape]));
        v.get(name)!.assign(tf.tensor(vs.data as Float32Array, [...vs.shape]));
      }
    },
    dispose: () => {
      for (const x of [...m.values(), ...v.values()]) x.dispose();
    },
  };
};
