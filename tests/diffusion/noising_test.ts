import assert from "node:assert/strict";
import { tf } from "../../src/tensor/tf.ts";
import { noiseLike, qSample, sampleTimesteps, timestepCoefs } from "../../src/diffusion/noising.ts";
import { makeRng } from "../../src/diffusion/rng.ts";
import { scheduleCosine } from "../../src/diffusion/schedules.ts";
import { assertClose } from "./_helpers.ts";

const schedule = scheduleCosine();

Deno.test("qSample() computes α_t·x_0 + σ_t·ε with t per sample", () => {
  const before = tf.memory().numTensors;
  const x0 = [0.5, -0.5, 1, 0.25, -1, 0];
  const eps = [1, 2, -1, 0.5, 0, -0.3];
  const t = [0, 500, 999];
  const x0T = tf.tensor(x0, [3, 2]);
  const epsT = tf.tensor(eps, [3, 2]);
  for (const ts of [t, Int32Array.from(t)]) {
    const xt = qSample(x0T, epsT, ts, schedule);
    const data = xt.dataSync();
    for (let i = 0; i < 6; i++) {
      const k = t[Math.floor(i / 2)]!;
      assertClose(data[i]!, schedule.alpha[k]! * x0[i]! + schedule.sigma[k]! * eps[i]!, {
        atol: 1e-6,
      });
    }
    xt.dispose();
  }
  const tT = tf.tensor1d(t, "int32");
  const viaTensor = qSample(x0T, epsT, tT, schedule);
  assert.equal(viaTensor.shape.join(), "3,2");
  tf.dispose([viaTensor, tT, x0T, epsT]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("qSample() rejects mismatched shapes and timestep counts", () => {
  tf.tidy(() => {
    assert.throws(() => qSample(tf.zeros([2, 3]), tf.zeros([2, 2]), [0, 1], schedule), RangeError);
    assert.throws(() => qSample(tf.zeros([2, 3]), tf.zeros([2, 3]), [0], schedule), /2 timesteps/);
    assert.throws(() => qSample(tf.zeros([1, 3]), tf.zeros([1, 3]), [1000], schedule), RangeError);
  });
});

Deno.test("timestepCoefs() shapes coefficients [B, 1, 1, 1] for a rank-4 batch", () => {
  const { alpha, sigma } = timestepCoefs(schedule, [3, 7], 4);
  assert.deepEqual(alpha.shape, [2, 1, 1, 1]);
  assertClose(sigma.dataSync()[1]!, schedule.sigma[7]!, { rtol: 1e-6 });
  tf.dispose([alpha, sigma]);
});

Deno.test("sampleTimesteps() is uniform on the inclusive range and identical for identical seeds", () => {
  const a = sampleTimesteps(makeRng(1), 4000, schedule);
  assert.deepEqual(a, sampleTimesteps(makeRng(1), 4000, schedule));
  assert.ok(a.every((t) => t >= 0 && t <= 999));
  const mean = a.reduce((s, t) => s + t, 0) / a.length;
  assertClose(mean, 499.5, { atol: 15 });
  const dmd = sampleTimesteps(makeRng(2), 2000, schedule, { min: 20, max: 980 });
  assert.ok(dmd.every((t) => t >= 20 && t <= 980));
  assert.throws(() => sampleTimesteps(makeRng(2), 1, schedule, { max: 1000 }), RangeError);
});

Deno.test("noiseLike() draws the same tensor for the same seed", () => {
  const a = noiseLike(makeRng(9), [2, 3]);
  const b = noiseLike(makeRng(9), [2, 3]);
  assert.deepEqual(a.shape, [2, 3]);
  assert.deepEqual(a.dataSync(), b.dataSync());
  tf.dispose([a, b]);
});
