import assert from "node:assert/strict";
import { tf } from "../../src/tensor/tf.ts";
import { diffusionLoss } from "../../src/train/diffusionLoss.ts";
import { makeSchedule } from "../../src/diffusion/schedules.ts";
import { lossMultiplierTable, resolveWeighting } from "../../src/diffusion/weightings.ts";

await tf.setBackend("cpu");
const schedule = makeSchedule({ family: "cosine" });

Deno.test("diffusionLoss() weights each sample's target MSE by m(t) (hand-computed, eps target)", () => {
  const x0 = tf.tensor4d([0.5, -0.5], [2, 1, 1, 1]);
  const eps = tf.tensor4d([1, 2], [2, 1, 1, 1]);
  const t = Int32Array.from([10, 900]);
  const mult = lossMultiplierTable(
    resolveWeighting({ strategy: "min-snr", gamma: 5 }, "eps"),
    schedule,
  );
  // a model that predicts 0: target MSE is ε², per sample
  const r = diffusionLoss(
    (xt) => tf.zerosLike(xt),
    { x0, labels: undefined, t, eps },
    schedule,
    "eps",
    mult,
  );
  const expected = (mult[10]! * 1 + mult[900]! * 4) / 2;
  assert.ok(
    Math.abs(r.loss.dataSync()[0]! - expected) < 1e-5,
    `${r.loss.dataSync()[0]} vs ${expected}`,
  );
  assert.deepEqual(Array.from(r.targetMse.dataSync()), [1, 4]);
  // x̂0 of a zero ε-prediction is x_t/α = x0 + σ/α·ε, so its x0-MSE is (σ/α·ε)²
  const a10 = schedule.alpha[10]!, s10 = schedule.sigma[10]!;
  assert.ok(Math.abs(r.x0Mse.dataSync()[0]! - (s10 / a10) ** 2) < 1e-4);
  // at t = 900 that x̂0 is far outside [-1, 1] and is clipped to 1: (1 − (−0.5))² = 2.25
  assert.ok(Math.abs(r.x0Mse.dataSync()[1]! - 2.25) < 1e-5);
});

Deno.test("diffusionLoss() of a perfect v-prediction is zero", () => {
  const x0 = tf.tensor4d([0.3, -0.2, 0.7, 0.1], [1, 2, 2, 1]);
  const eps = tf.tensor4d([0.1, 1.2, -0.4, 0.9], [1, 2, 2, 1]);
  const t = Int32Array.from([400]);
  const a = schedule.alpha[400]!, s = schedule.sigma[400]!;
  const v = tf.sub(tf.mul(eps, a), tf.mul(x0, s)) as tf.Tensor4D;
  const mult = lossMultiplierTable(resolveWeighting({ strategy: "unweighted" }, "v"), schedule);
  const r = diffusionLoss(() => v, { x0, labels: undefined, t, eps }, schedule, "v", mult);
  assert.ok(r.loss.dataSync()[0]! < 1e-10);
  assert.ok(r.x0Mse.dataSync()[0]! < 1e-10);
});
