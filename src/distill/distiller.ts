/**
 * One-step distillation of a teacher (docs/methods.md#dmd-loss): a generator G, a copy of the
 * teacher run at the largest noise level (t = T−1), trained with the distribution-matching loss
 * (dmGradient.ts) and/or the regression loss on precomputed teacher pairs (perceptual.ts), and a
 * fake score, another copy of the teacher, trained online on G's detached samples with the
 * ordinary denoising loss, `ratio` times per generator step (updatePlan.ts).
 *
 * The real score is the frozen teacher with classifier-free guidance; the fake score is
 * unguided (conditional, scale 1). Every step's randomness comes from (seed, step), so a resumed
 * run draws what an uninterrupted one would, and arms with the same seed see the same draws.
 *
 * What it does not do: checkpoints, logging, artifacts (the stage owns those).
 */
import { tf } from "../tensor/tf.ts";
import { readScalar } from "../tensor/read.ts";
import type { Denoiser as Backbone } from "../models/model.ts";
import type { Classifier } from "../models/classifier.ts";
import { cfg, makeDenoiser, type ModelFn } from "../diffusion/denoiser.ts";
import type { Schedule } from "../diffusion/schedules.ts";
import type { Target } from "../diffusion/targets.ts";
import { timestepCoefs } from "../diffusion/noising.ts";
import { deriveSeed, makeRng } from "../diffusion/rng.ts";
import { type AdamW, type AdamWConfig, makeAdamW } from "../train/adamw.ts";
import { diffusionLoss } from "../train/diffusionLoss.ts";
import { dmGradient, dmLoss, dmTimestepRange, stopGradient } from "./dmGradient.ts";
import { regressionLoss } from "./perceptual.ts";
import { updatesOfStep } from "./updatePlan.ts";

/** Regression pairs (z, class) → y = teacher ODE sample, flat NHWC. */
export interface PairSet {
  readonly n: number;
  readonly z: Float32Array;
  readonly labels: Int32Array;
  readonly y: Float32Array;
}

export interface DistillConfig {
  readonly schedule: Schedule;
  readonly target: Target;
  /** Classes of the conditional teacher; class `numClasses` is the null class of CFG. */
  readonly numClasses: number;
  readonly imageShape: readonly [number, number, number];
  readonly batchSize: number;
  /** Classifier-free guidance scale of the real score (1 = conditional only). */
  readonly guidance: number;
  /** Distribution matching on or off (off: regression only). */
  readonly matching: boolean;
  /** Weight of the regression loss; 0 turns it off (no pairs needed). */
  readonly lambdaReg: number;
  /** Fake-score updates per generator step (DMD 1, DMD2 5); 0 when matching is off. */
  readonly ratio: number;
  /** Fractions of T bounding the DM loss's timesteps (paper: 0.02, 0.98). */
  readonly tRange: readonly [number, number];
  readonly seed: number;
  readonly generatorOpt: AdamWConfig;
  readonly fakeOpt: AdamWConfig;
}

export interface DistillParts {
  /** Trained: initialised from the teacher by the caller. */
  readonly generator: Backbone<unknown>;
  /** Trained online; null when matching is off. */
  readonly fake: Backbone<unknown> | null;
  /** The frozen teacher (real score). */
  readonly teacher: Backbone<unknown>;
  /** Feature network of the perceptual distance; null when lambdaReg is 0. */
  readonly classifier: Classifier | null;
  readonly pairs: PairSet | null;
}

export interface StepMetrics {
  readonly loss: number;
  readonly dm: number;
  readonly reg: number;
  readonly fake: number;
  readonly gradNorm: number;
  [key: string]: number;
}

const asModelFn = (m: Backbone<unknown>): ModelFn => (x, t, cond) =>
  m.forward(x as tf.Tensor4D, t, cond as tf.Tensor1D | undefined);

/** G(z, class) = x̂0 of the network at t = T−1: the one-step generator. */
export const oneStep = (
  model: Backbone<unknown>,
  target: Target,
  schedule: Schedule,
  z: tf.Tensor4D,
  labels: tf.Tensor1D,
): tf.Tensor4D =>
  makeDenoiser(asModelFn(model), target, schedule)(z, schedule.T - 1, labels) as tf.Tensor4D;

/** The value of a scalar kept out of a tidy (then disposed), or NaN when none was made. */
const readKept = async (t: tf.Scalar | null): Promise<number> => {
  if (t === null) return NaN;
  try {
    return await readScalar(t);
  } finally {
    t.dispose();
  }
};

export const makeDistiller = (parts: DistillParts, c: DistillConfig) => {
  if (c.matching && parts.fake === null) throw new Error("matching needs a fake score model");
  if (c.lambdaReg > 0 && (parts.pairs === null || parts.classifier === null)) {
    throw new Error("the regression loss needs pairs and a classifier");
  }
  if (!c.matching && c.lambdaReg === 0) {
    throw new Error("nothing to train: matching is off and lambdaReg is 0");
  }
  if (!c.matching && c.ratio !== 0) throw new Error("without matching the update ratio must be 0");
  const [h, w, ch] = c.imageShape;
  const n = h * w * ch;
  const B = c.batchSize;
  const T = c.schedule.T;
  const [tLo, tHi] = dmTimestepRange(T, c.tRange[0], c.tRange[1]);
  const nullCond = tf.tensor1d([c.numClasses], "int32");
  const realFn = c.guidance === 1
    ? asModelFn(parts.teacher)
    : cfg(asModelFn(parts.teacher), c.guidance, nullCond);
  const real = makeDenoiser(realFn, c.target, c.schedule);
  const fake = parts.fake ? makeDenoiser(asModelFn(parts.fake), c.target, c.schedule) : null;
  const genOpt: AdamW = makeAdamW(parts.generator.params, c.generatorOpt);
  const fakeOpt: AdamW | null = parts.fake ? makeAdamW(parts.fake.params, c.fakeOpt) : null;
  const ones = new Float64Array(T).fill(1); // the ordinary (unweighted) denoising loss
  const plan = updatesOfStep(c.ratio);
  const features = (x: tf.Tensor4D) => parts.classifier!.forward(x).features;
  const counts = { generator: 0, fake: 0 };

  /** One fake-score update on detached samples `x0` [B, H, W, C] of classes `labels`. */
  const fakeUpdate = async (
    x0: tf.Tensor4D,
    labels: Int32Array,
    draw: ReturnType<typeof makeRng>,
  ) => {
    const t = draw.integers(B, 0, T);
    const eps = draw.normal(B * n);
    const out = tf.tidy(() =>
      parts.fake!.params.valueAndGrads(() =>
        diffusionLoss(
          (xt, tt, yy) => parts.fake!.forward(xt, tt, yy),
          {
            x0,
            labels: tf.tensor1d(labels, "int32"),
            t,
            eps: tf.tensor4d(eps, [B, h, w, ch]),
          },
          c.schedule,
          c.target,
          ones,
        ).loss
      )
    );
    const loss = await readScalar(out.value);
    if (Number.isFinite(loss)) await fakeOpt!.update(out.grads);
    tf.dispose([out.value, ...Object.values(out.grads)]);
    counts.fake++;
    return loss;
  };

  const step = async (index: number): Promise<StepMetrics> => {
    const draw = makeRng(deriveSeed(c.seed, "distill", String(index)));
    // every draw is made in every arm, in this order, so arms sharing a seed see the same ones
    const z = draw.normal(B * n);
    const labels = draw.integers(B, 0, c.numClasses);
    const t = draw.integers(B, tLo, tHi + 1);
    const eps = draw.normal(B * n);
    const pick = parts.pairs ? draw.integers(B, 0, parts.pairs.n) : new Int32Array(B);
    let dmTensor: tf.Scalar | null = null, regTensor: tf.Scalar | null = null;
    let detached: tf.Tensor4D | null = null;
    const out = tf.tidy(() => {
      const { value, grads } = parts.generator.params.valueAndGrads(() => {
        let total = tf.scalar(0);
        if (c.matching) {
          const zT = tf.tensor4d(z, [B, h, w, ch]);
          const y = tf.tensor1d(labels, "int32");
          const x = oneStep(parts.generator, c.target, c.schedule, zT, y); // [B, H, W, C]
          const xd = stopGradient(x) as tf.Tensor4D; // the scores see x, the tape does not
          const { alpha, sigma } = timestepCoefs(c.schedule, t, 4); // [B, 1, 1, 1]
          const xt = tf.add(tf.mul(xd, alpha), tf.mul(tf.tensor4d(eps, [B, h, w, ch]), sigma));
          const grad = dmGradient(xd, real(xt, t, y), fake!(xt, t, y)); // [B, H, W, C]
          const l = dmLoss(x, grad);
          dmTensor = tf.keep(l);
          detached = tf.keep(xd);
          total = tf.add(total, l);
        }
        if (c.lambdaReg > 0) {
          const p = parts.pairs!;
          const zp = new Float32Array(B * n), yp = new Float32Array(B * n);
          const lp = new Int32Array(B);
          pick.forEach((k, i) => {
            zp.set(p.z.subarray(k * n, (k + 1) * n), i * n);
            yp.set(p.y.subarray(k * n, (k + 1) * n), i * n);
            lp[i] = p.labels[k]!;
          });
          const yT = tf.tensor4d(yp, [B, h, w, ch]);
          const x = oneStep(
            parts.generator,
            c.target,
            c.schedule,
            tf.tensor4d(zp, [B, h, w, ch]),
            tf.tensor1d(lp, "int32"),
          );
          const r = regressionLoss(features, x, features(yT), yT);
          regTensor = tf.keep(r.loss);
          total = tf.add(total, tf.mul(r.loss, c.lambdaReg));
        }
        return total as tf.Scalar;
      });
      return { value, grads };
    });
    const loss = await readScalar(out.value);
    const dmValue = await readKept(dmTensor);
    const regValue = await readKept(regTensor);
    const gradNorm = Number.isFinite(loss) ? await genOpt.update(out.grads) : NaN;
    tf.dispose([out.value, ...Object.values(out.grads)]);
    counts.generator++;
    const fakeLosses: number[] = [];
    const fakeUpdates = plan.filter((u) => u === "fake").length;
    for (let k = 0; k < fakeUpdates; k++) {
      if (k === 0 && detached !== null) {
        fakeLosses.push(await fakeUpdate(detached, labels, draw));
        continue;
      }
      // further updates (DMD2's 5:1) train on fresh samples of the current generator
      const zk = draw.normal(B * n);
      const lk = draw.integers(B, 0, c.numClasses);
      const xk = tf.tidy(() =>
        stopGradient(
          oneStep(
            parts.generator,
            c.target,
            c.schedule,
            tf.tensor4d(zk, [B, h, w, ch]),
            tf.tensor1d(lk, "int32"),
          ),
        ) as tf.Tensor4D
      );
      fakeLosses.push(await fakeUpdate(xk, lk, draw));
      xk.dispose();
    }
    (detached as tf.Tensor4D | null)?.dispose();
    const fakeMean = fakeLosses.length > 0
      ? fakeLosses.reduce((a, b) => a + b, 0) / fakeLosses.length
      : NaN;
    return { loss, dm: dmValue, reg: regValue, fake: fakeMean, gradNorm };
  };

  return {
    step,
    counts: () => ({ ...counts }),
    genOpt,
    fakeOpt,
    dispose: () => {
      genOpt.dispose();
      fakeOpt?.dispose();
      nullCond.dispose();
    },
  };
};
export type Distiller = ReturnType<typeof makeDistiller>;
