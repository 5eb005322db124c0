import assert from "node:assert/strict";
import { tf } from "../../src/tensor/tf.ts";
import {
  cfg,
  clipDenoiser,
  gaussianDenoiser,
  makeDenoiser,
  type ModelFn,
} from "../../src/diffusion/denoiser.ts";
import { DiffusionMathError } from "../../src/diffusion/errors.ts";
import { timestepCoefs } from "../../src/diffusion/noising.ts";
import { type Schedule, scheduleCosine } from "../../src/diffusion/schedules.ts";
import { type Target, TARGETS, targetTensor } from "../../src/diffusion/targets.ts";
import { assertClose } from "./_helpers.ts";

/** A model that knows the true x_0 and outputs the exact target for x_t (so ε = (x_t - α·x_0)/σ). */
function oracle(x0: tf.Tensor, target: Target, schedule: Schedule): ModelFn {
  return (x, t) =>
    tf.tidy(() => {
      const { alpha, sigma } = timestepCoefs(schedule, t, x.rank);
      const eps = tf.div(tf.sub(x, tf.mul(x0, alpha)), sigma);
      return targetTensor(target, x0, eps, alpha, sigma);
    });
}

Deno.test("makeDenoiser() turns an exact model of any target into x̂_0 = x_0", () => {
  const schedule = scheduleCosine();
  const x0 = tf.tensor([0.3, -0.7, 0.9, 0.1], [2, 2]);
  const eps = tf.tensor([1.1, -0.2, 0.4, -1.5], [2, 2]);
  const before = tf.memory().numTensors;
  for (const target of TARGETS) {
    const denoise = makeDenoiser(oracle(x0, target, schedule), target, schedule);
    for (const t of [10, 400, 800.5]) {
      const out = tf.tidy(() => {
        const { alpha, sigma } = timestepCoefs(schedule, [t, t], 2);
        return denoise(tf.add(tf.mul(x0, alpha), tf.mul(eps, sigma)), t);
      });
      const d = out.dataSync();
      [0.3, -0.7, 0.9, 0.1].forEach((x, i) =>
        assertClose(d[i]!, x, { atol: 1e-4 }, `${target} t=${t}`)
      );
      out.dispose();
    }
    // Per-sample timesteps, as DMD uses them.
    const perSample = tf.tidy(() => {
      const ts = [50, 700];
      const { alpha, sigma } = timestepCoefs(schedule, ts, 2);
      return denoise(tf.add(tf.mul(x0, alpha), tf.mul(eps, sigma)), tf.tensor1d(ts, "int32"));
    });
    [0.3, -0.7, 0.9, 0.1].forEach((x, i) =>
      assertClose(perSample.dataSync()[i]!, x, { atol: 1e-4 })
    );
    perSample.dispose();
  }
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x0, eps]);
});

Deno.test("makeDenoiser() refuses an ε-model at SNR = 0 before calling it; a v-model works", () => {
  const schedule = scheduleCosine({ zeroTerminalSnr: true });
  let calls = 0;
  const model: ModelFn = (x) => {
    calls++;
    return tf.neg(x);
  };
  const before = tf.memory().numTensors;
  const x = tf.ones([2, 2]);
  assert.throws(() => makeDenoiser(model, "eps", schedule)(x, 999), DiffusionMathError);
  assert.throws(() => makeDenoiser(model, "eps", schedule)(x, [10, 999]), DiffusionMathError);
  assert.equal(calls, 0);
  // v-model at α = 0: x̂_0 = α·x - σ·v̂ = -v̂ = x.
  const out = makeDenoiser(model, "v", schedule)(x, 999);
  assert.deepEqual(Array.from(out.dataSync()), [1, 1, 1, 1]);
  tf.dispose([x, out]);
  assert.equal(tf.memory().numTensors, before);
  assert.throws(() => makeDenoiser(model, "score" as Target, schedule), /field "target"/);
});

Deno.test("cfg() returns u + s·(c - u) in one batched call", () => {
  let calls = 0;
  // Output depends on the condition: cond·1 + x.
  const model: ModelFn = (x, _t, cond) => {
    calls++;
    return tf.add(x, tf.reshape(tf.cast(cond!, "float32"), [-1, 1]));
  };
  const before = tf.memory().numTensors;
  const x = tf.zeros([2, 3]);
  const t = tf.tensor1d([5, 5]);
  const cond = tf.tensor1d([2, 4], "int32");
  const nullCond = tf.tensor1d([10], "int32");
  const guided = cfg(model, 3, nullCond)(x, t, cond);
  assert.equal(calls, 1);
  // u = 10, c = 2 or 4: 10 + 3·(c - 10) = -14, -8.
  assert.deepEqual(Array.from(guided.dataSync()), [-14, -14, -14, -8, -8, -8]);
  const plain = cfg(model, 1, nullCond)(x, t, cond);
  assert.deepEqual(Array.from(plain.dataSync()), [2, 2, 2, 4, 4, 4]);
  assert.throws(() => cfg(model, 2, nullCond)(x, t), /needs a condition/);
  tf.dispose([x, t, cond, nullCond, guided, plain]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("clipDenoiser() clips x̂_0 and gaussianDenoiser() is E[x_0 | x_t] for N(μ, s²)", () => {
  const schedule = scheduleCosine();
  const g = gaussianDenoiser(0.5, 0.3, schedule);
  const x = tf.tensor([[-3], [0], [3]]);
  const t = 500;
  const a = schedule.alpha[t]!;
  const s = schedule.sigma[t]!;
  const out = g(x, t).dataSync();
  [-3, 0, 3].forEach((xv, i) => {
    const expected = 0.5 + ((a * 0.09) / (a * a * 0.09 + s * s)) * (xv - a * 0.5);
    assertClose(out[i]!, expected, { atol: 1e-6 });
  });
  const clipped = clipDenoiser(() => tf.tensor([[-3], [0.2], [3]]))(x, t).dataSync();
  assert.deepEqual(Array.from(clipped), [-1, 0.20000000298023224, 1]);
  x.dispose();
});
