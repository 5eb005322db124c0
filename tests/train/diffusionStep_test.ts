/** One diffusion training step: its draws come from (seed, step) alone; bad steps change nothing. */
import assert from "node:assert/strict";
import { tf } from "../../src/tensor/tf.ts";
import { ParamStore } from "../../src/models/params.ts";
import { defaultAdamW, makeAdamW } from "../../src/train/adamw.ts";
import { diffusionStep, type DiffusionStepSetup } from "../../src/train/diffusionStep.ts";
import { capturedLossAndGrads } from "../../src/train/capturedLoss.ts";
import { makeSchedule } from "../../src/diffusion/schedules.ts";
import { normalArray } from "../helpers/random.ts";

await tf.setBackend("cpu");

const schedule = makeSchedule({ family: "cosine", T: 50 });
const batch = { images: normalArray(4 * 2 * 2, 1), labels: Int32Array.from([0, 1, 2, 0]), size: 4 };

/** A one-weight "denoiser" predicting w·x_t, conditional on three classes. */
const setup = (multipliers = new Float64Array(schedule.T).fill(1)) => {
  const params = new ParamStore(0);
  params.create("w", [1], { kind: "ones" });
  const seenLabels: number[][] = [];
  const s: DiffusionStepSetup = {
    params,
    forward: (xt, _t, labels) => {
      if (labels) seenLabels.push(Array.from(labels.dataSync()));
      return tf.mul(xt, params.get("w")) as tf.Tensor4D;
    },
    optimizer: makeAdamW(params, { ...defaultAdamW, lr: 0.1 }),
    schedule,
    target: "eps",
    multipliers,
    seed: 7,
    classes: 3,
    labelDropout: 0.5,
    imageShape: [2, 2, 1],
  };
  return { s, params, seenLabels, w: () => params.get("w").dataSync()[0]! };
};

Deno.test("diffusionStep() draws the same t, noise and dropped labels for the same (seed, step)", async () => {
  const a = setup(), b = setup();
  const ra = await diffusionStep(a.s, 3, batch);
  const rb = await diffusionStep(b.s, 3, batch);
  assert.deepEqual(ra, rb);
  assert.deepEqual(a.seenLabels, b.seenLabels);
  // labels are the batch's or the null class 3, nothing else
  assert.ok(a.seenLabels[0]!.every((y, i) => y === 3 || y === batch.labels[i]), `${a.seenLabels}`);
  assert.notEqual(a.w(), 1, "a finite step moves the weight");
  const other = setup();
  assert.notDeepEqual(
    (await diffusionStep(other.s, 4, batch)).loss,
    ra.loss,
    "another step, other draws",
  );
});

Deno.test("diffusionStep() with a non-finite loss returns it and leaves the weights and optimiser as they were", async () => {
  const bad = setup(new Float64Array(schedule.T).fill(Number.NaN));
  const r = await diffusionStep(bad.s, 0, batch);
  assert.ok(Number.isNaN(r.loss));
  assert.ok(Number.isNaN(r.gradNorm));
  assert.equal(bad.w(), 1);
  assert.equal(bad.s.optimizer.step(), 0, "no update was counted");
});

Deno.test("diffusionStep() with capturedLossAndGrads() gives the per-op step's loss, gradient norm and weight", async () => {
  const perOp = setup(), viaLoss = setup();
  const s: DiffusionStepSetup = {
    ...viaLoss.s,
    // the same loss and gradients, plus Σ g² for AdamW's clipping, from one (capturable) function
    lossAndGrads: capturedLossAndGrads({
      trainable: viaLoss.params,
      read: () => [viaLoss.params.get("w")],
      forward: viaLoss.s.forward,
      target: "eps",
      key: "step-test",
    }),
  };
  for (const step of [0, 1, 2]) {
    const a = await diffusionStep(perOp.s, step, batch);
    const b = await diffusionStep(s, step, batch);
    assert.ok(Math.abs(a.loss - b.loss) <= 1e-6 * Math.abs(a.loss), `${a.loss} vs ${b.loss}`);
    assert.ok(a.gradNorm > 0 && Math.abs(a.gradNorm - b.gradNorm) <= 1e-6 * a.gradNorm);
    assert.ok(Math.abs(perOp.w() - viaLoss.w()) <= 1e-6, `${perOp.w()} vs ${viaLoss.w()}`);
  }
  assert.equal(viaLoss.s.optimizer.step(), 3);
});
