/**
 * Training steps per second of one model, per-op or as a captured whole step
 * (src/engine/ort/graphCapture.ts `captureStep`), for bench/engine.ts. The step is the bench's:
 * DDPM noising, ε-MSE, Adam 2e-4. Timesteps and noise are drawn outside the step (seeded) and
 * passed in, as a captured step needs; the first step always runs eagerly (Adam creates its
 * moments there), the next records, the rest replay. Medians over `steps` timed steps.
 */
import { tf } from "../src/tensor/tf.ts";
import {
  capturedFraction,
  captureStats,
  captureStep,
  optimizerVariables,
  resetCaptureStats,
} from "../src/engine/ort/graphCapture.ts";
import { createLeakGuard } from "../src/engine/leakGuard.ts";

export interface TrainModel {
  /** x_t [B, H, W, C], t [B] float, labels [B] int32 or undefined → ε̂ */
  readonly forward: (x: tf.Tensor4D, t: tf.Tensor1D, labels?: tf.Tensor1D) => tf.Tensor;
  readonly vars: readonly tf.Variable[];
  /** [H, W, C] */
  readonly image: readonly [number, number, number];
  readonly classes: number;
}

export interface TrainTiming {
  readonly stepsPerS: number;
  readonly capturedFraction: number | null;
  readonly graphRunsPerStep: number | null;
}

export function timeTraining(
  m: TrainModel,
  batch: number,
  steps: number,
  warmup: number,
  captured: boolean,
): TrainTiming {
  const [h, w, c] = m.image;
  const opt = tf.train.adam(2e-4);
  const vars = [...m.vars];
  const x0 = tf.tidy(() =>
    tf.image.resizeBilinear(tf.randomUniform([batch, h / 4, w / 4, c], -1, 1, "float32", 7), [h, w])
  ) as tf.Tensor4D;
  const labels = m.classes > 0
    ? tf.randomUniform([batch], 0, m.classes + 1, "int32", 8) as tf.Tensor1D
    : undefined;
  const alphaBar = tf.tidy(() =>
    tf.exp(tf.cumsum(tf.log(tf.sub(1, tf.linspace(1e-4, 0.02, 1000)))))
  );
  const fn = (t: tf.Tensor, noise: tf.Tensor) =>
    opt.minimize(
      () => {
        const ab = tf.gather(alphaBar, t).reshape([batch, 1, 1, 1]);
        const xt = x0.mul(tf.sqrt(ab)).add(noise.mul(tf.sqrt(tf.sub(1, ab)))) as tf.Tensor4D;
        const pred = m.forward(xt, t.toFloat() as tf.Tensor1D, labels);
        return pred.sub(noise).square().mean() as tf.Scalar;
      },
      true,
      vars,
    )!;
  const step = captured
    ? captureStep(fn, {
      key: `bench-train:${vars.length}:${batch}`,
      state: () => [...vars, ...optimizerVariables(opt)],
    })
    : fn;
  const guard = createLeakGuard({ window: Math.max(2, Math.min(10, steps)), warmup: 2 });
  const times: number[] = [];
  let seed = 100;
  const eager = captured ? 2 : 0; // eager first step, then the recording one: never timed
  for (let i = 0; i < eager + warmup + steps; i++) {
    if (i === eager) resetCaptureStats();
    const t0 = performance.now();
    const loss = tf.tidy(() => {
      const t = tf.randomUniform([batch], 0, 1000, "int32", seed++);
      const noise = tf.randomNormal(x0.shape, 0, 1, "float32", seed++);
      return i === 0 ? fn(t, noise) : step(t, noise);
    });
    loss.dataSync();
    loss.dispose();
    if (i >= eager + warmup) times.push((performance.now() - t0) / 1000);
    guard.check();
  }
  times.sort((a, b) => a - b);
  const result = {
    stepsPerS: 1 / times[Math.floor(times.length / 2)]!,
    capturedFraction: captured ? capturedFraction() : null,
    graphRunsPerStep: captured ? captureStats.graphRuns / Math.max(1, captureStats.replays) : null,
  };
  tf.dispose([x0, alphaBar, ...(labels ? [labels] : [])]);
  opt.dispose();
  return result;
}
