import assert from "node:assert/strict";
import { tf } from "../../src/tensor/tf.ts";
import { selectBackend } from "../../src/engine/backend.ts";
import {
  captureStats,
  captureStep,
  clearCapturedPrograms,
  optimizerVariables,
  resetCaptureStats,
} from "../../src/engine/ort/graphCapture.ts";
import { createLeakGuard } from "../../src/engine/leakGuard.ts";
import { createUNet } from "../../src/models/unet.ts";
import { relError } from "./helpers.ts";

await selectBackend("ort", { threads: 1 });

/**
 * A small conditional UNet trained for `steps` steps (ε-MSE, Adam, EMA with a per-step decay
 * given as an input): noise, timesteps and labels are drawn from `seed` outside the step, as the
 * capture needs. Returns the final parameters and EMA values and every loss.
 */
function train(steps: number, captured: boolean, seed: number, optimizer: "adam" | "momentum") {
  const net = createUNet({
    channels: 1,
    widths: [8, 16],
    resBlocksPerLevel: 1,
    attentionLevels: [],
    middle: "attention",
    headDim: 8,
    numClasses: 3,
    zeroInit: false,
  }, 2);
  const names = net.params.names();
  const vars = names.map((n) => net.params.get(n));
  const ema = vars.map((v) => tf.variable(v.clone(), false));
  // momentum SGD is linear in the gradient; Adam turns float noise in an analytically zero
  // gradient (a bias right before a GroupNorm) into full-size steps, so only reproducibility is
  // compared for Adam
  const opt = optimizer === "adam" ? tf.train.adam(1e-2) : tf.train.momentum(0.05, 0.9);
  const fn = (xt: tf.Tensor, t: tf.Tensor, y: tf.Tensor, noise: tf.Tensor, d: tf.Tensor) => {
    const cost = opt.minimize(
      () =>
        net.forward(xt as tf.Tensor4D, t as tf.Tensor1D, y as tf.Tensor1D).sub(noise).square()
          .mean() as tf.Scalar,
      true,
      vars,
    )!;
    ema.forEach((e, k) => e.assign(tf.add(tf.mul(e, d), tf.mul(vars[k]!, tf.sub(1, d)))));
    return cost;
  };
  const step = captured
    ? captureStep(fn, {
      key: "step-test",
      state: () => [...vars, ...ema, ...optimizerVariables(opt)],
    })
    : fn;
  const guard = createLeakGuard({ window: 4, warmup: 2 });
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const loss = tf.tidy(() => {
      const xt = tf.randomNormal([2, 8, 8, 1], 0, 1, "float32", seed + 3 * s);
      const noise = tf.randomNormal([2, 8, 8, 1], 0, 1, "float32", seed + 3 * s + 1);
      const t = tf.randomUniform([2], 0, 1000, "float32", seed + 3 * s + 2).floor();
      const y = tf.tensor1d([s % 4, (s + 1) % 4], "int32");
      const d = tf.scalar(Math.min(0.99, (1 + s) / (10 + s)));
      // the first step runs eagerly so that Adam's moments exist before the capture
      return s === 0 ? fn(xt, t, y, noise, d) : step(xt, t, y, noise, d);
    });
    losses.push(loss.dataSync()[0]!);
    loss.dispose();
    guard.check();
  }
  const read = (ts: tf.Tensor[]) => ts.map((t) => t.dataSync().slice());
  const out = { params: read(vars), ema: read(ema), losses };
  net.params.dispose();
  tf.dispose(ema);
  opt.dispose();
  clearCapturedPrograms();
  return out;
}

const worst = (a: ArrayLike<number>[], b: ArrayLike<number>[]) =>
  Math.max(...a.map((x, k) => relError(x, b[k]!)));

Deno.test("captureStep() trains like per-op dispatch: losses, parameters, momentum and EMA within 1e-4 after 6 steps", () => {
  const perOp = train(6, false, 10, "momentum");
  resetCaptureStats();
  const captured = train(6, true, 10, "momentum");
  assert.equal(captureStats.captures, 1);
  assert.equal(captureStats.replays, 4);
  assert.ok(
    captureStats.capturedKernels > 20 * captureStats.perOpKernels,
    JSON.stringify(captureStats),
  );
  assert.ok(
    relError(captured.losses, perOp.losses) < 1e-4,
    `${captured.losses} vs ${perOp.losses}`,
  );
  assert.ok(
    worst(captured.params, perOp.params) < 1e-4,
    `params ${worst(captured.params, perOp.params)}`,
  );
  assert.ok(worst(captured.ema, perOp.ema) < 1e-4, `ema ${worst(captured.ema, perOp.ema)}`);
  // the parameters moved: the comparison is not trivially between initial values
  const init = train(1, false, 10, "momentum");
  assert.ok(worst(captured.params, init.params) > 1e-3);
});

Deno.test("captureStep() is bit-for-bit reproducible for a given seed", () => {
  const a = train(5, true, 20, "adam"), b = train(5, true, 20, "adam");
  assert.deepEqual(a.losses, b.losses);
  a.params.forEach((p, k) => assert.deepEqual(p, b.params[k]));
});

Deno.test("captureStep() holds the leak guard over 200 captured steps", () => {
  // train() checks the leak guard (live tensors, RSS) after every step and throws on growth
  const { losses } = train(201, true, 40, "adam");
  assert.equal(losses.length, 201);
  assert.ok(losses.every(Number.isFinite), "every loss finite");
});
