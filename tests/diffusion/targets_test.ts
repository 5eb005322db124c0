import assert from "node:assert/strict";
import { tf } from "../../src/tensor/tf.ts";
import { DiffusionMathError } from "../../src/diffusion/errors.ts";
import { scheduleCosine } from "../../src/diffusion/schedules.ts";
import {
  epsFromX0,
  predEps,
  predEpsArray,
  predEpsScalar,
  predX0,
  predX0Array,
  predX0Scalar,
  targetArray,
  TARGETS,
  targetScalar,
  targetTensor,
} from "../../src/diffusion/targets.ts";
import { assertClose } from "./_helpers.ts";

const schedule = scheduleCosine();
const x0 = [0.7, -0.3, 1.0, -1.0, 0.0, 0.25];
const eps = [0.1, 1.2, -0.8, 0.4, -2.0, 0.9];

Deno.test("targetScalar() computes ε, x_0 and v = α·ε - σ·x_0", () => {
  assert.equal(targetScalar("eps", 0.7, 0.1, 0.6, 0.8), 0.1);
  assert.equal(targetScalar("x0", 0.7, 0.1, 0.6, 0.8), 0.7);
  assertClose(targetScalar("v", 0.7, 0.1, 0.6, 0.8), 0.6 * 0.1 - 0.8 * 0.7, { atol: 1e-15 });
});

Deno.test("x0 → target → x̂0 and ε̂ round-trips for every target (arrays, several t)", () => {
  for (const target of TARGETS) {
    for (const t of [0, 10, 261, 500, 900, 999]) {
      const a = schedule.alpha[t]!;
      const s = schedule.sigma[t]!;
      const xt = x0.map((x, i) => a * x + s * eps[i]!);
      const out = targetArray(target, x0, eps, a, s);
      const x0Hat = predX0Array(target, out, xt, a, s);
      const epsHat = predEpsArray(target, out, xt, a, s);
      // ε → x̂_0 divides by α ≈ 5e-5 at t = 999, so allow the amplified rounding there.
      const tol = target === "eps" && t === 999 ? 1e-9 / a : 1e-9;
      x0.forEach((x, i) => assertClose(x0Hat[i]!, x, { atol: tol }, `${target} t=${t} x0[${i}]`));
      eps.forEach((e, i) =>
        assertClose(epsHat[i]!, e, { atol: 1e-9 / Math.min(s, 1) }, `${target} t=${t} eps[${i}]`)
      );
    }
  }
});

Deno.test("tensor conversions round-trip x0 to 1e-5 for every target", () => {
  const before = tf.memory().numTensors;
  const x0T = tf.tensor(x0, [3, 2]);
  const epsT = tf.tensor(eps, [3, 2]);
  for (const target of TARGETS) {
    for (const t of [0, 261, 700]) {
      const a = schedule.alpha[t]!;
      const s = schedule.sigma[t]!;
      const [x0Hat, epsHat] = tf.tidy(() => {
        const xt = tf.add(tf.mul(x0T, a), tf.mul(epsT, s));
        const out = targetTensor(target, x0T, epsT, a, s);
        return [predX0(target, out, xt, a, s), predEps(target, out, xt, a, s)];
      });
      const x0Data = x0Hat!.dataSync();
      const epsData = epsHat!.dataSync();
      x0.forEach((x, i) => assertClose(x0Data[i]!, x, { atol: 1e-5 }, `${target} t=${t} x0`));
      eps.forEach((e, i) => assertClose(epsData[i]!, e, { atol: 1e-3 }, `${target} t=${t} eps`));
      tf.dispose([x0Hat!, epsHat!]);
    }
  }
  tf.dispose([x0T, epsT]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("tensor conversions accept per-sample coefficient tensors", () => {
  tf.tidy(() => {
    const alpha = tf.tensor([0.6, 0.8, 1 / Math.SQRT2], [3, 1]);
    const sigma = tf.tensor([0.8, 0.6, 1 / Math.SQRT2], [3, 1]);
    const x0T = tf.tensor(x0, [3, 2]);
    const epsT = tf.tensor(eps, [3, 2]);
    const xt = tf.add(tf.mul(x0T, alpha), tf.mul(epsT, sigma));
    const v = targetTensor("v", x0T, epsT, alpha, sigma);
    const back = predX0("v", v, xt, alpha, sigma).dataSync();
    x0.forEach((x, i) => assertClose(back[i]!, x, { atol: 1e-6 }));
    const e = epsFromX0(x0T, xt, alpha, sigma).dataSync();
    eps.forEach((x, i) => assertClose(e[i]!, x, { atol: 1e-5 }));
  });
});

Deno.test("predX0Scalar() refuses ε-prediction at α = 0 but v and x0 work there", () => {
  assert.throws(() => predX0Scalar("eps", 0.3, 0.3, 0, 1), DiffusionMathError);
  assert.throws(
    () => tf.tidy(() => predX0("eps", tf.zeros([1]), tf.zeros([1]), 0, 1)),
    DiffusionMathError,
  );
  // At α = 0, x_t = ε and v = ε·0 - 1·x_0 = -x_0.
  assert.equal(predX0Scalar("v", -0.4, 1.3, 0, 1), 0.4);
  assert.equal(predEpsScalar("v", -0.4, 1.3, 0, 1), 1.3);
  assert.equal(predX0Scalar("x0", 0.4, 1.3, 0, 1), 0.4);
  assert.throws(() => predEpsScalar("x0", 0.4, 1.3, 1, 0), DiffusionMathError);
});
