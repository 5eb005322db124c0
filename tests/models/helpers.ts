/** Shared test helpers for tests/models/: cpu backend, seeded tensors, finite-difference checks. */
import assert from "node:assert/strict";
import { tf } from "../../src/tensor/tf.ts";
import type { ParamStore } from "../../src/models/params.ts";
import { normalArray, testRng } from "../helpers/random.ts";

export { assertClose } from "../helpers/assert.ts";

await tf.setBackend("cpu");

export { tf };

/** A seeded standard-normal tensor (values from a JS generator, reproducible across runs). */
export const randn = (shape: number[], seed: number, scale = 1): tf.Tensor =>
  tf.tensor(normalArray(shape.reduce((a, b) => a * b, 1), seed, scale), shape);

/**
 * Checks the gradient of L(x) = Σ f(x)·r (r a fixed random tensor) with respect to x at a few
 * coordinates against central differences. The loss is summed in float64 to keep the difference
 * quotient accurate; tolerance is relative to the largest gradient entry.
 */
export const gradCheck = (
  f: (x: tf.Tensor) => tf.Tensor,
  x: tf.Tensor,
  opts: { coords?: number; eps?: number; rtol?: number; seed?: number } = {},
): void => {
  const { coords = 6, eps = 1e-2, rtol = 1e-2, seed = 7 } = opts;
  const out = tf.tidy(() => f(x));
  const r = randn(out.shape, seed + 1);
  out.dispose();
  const rData = r.dataSync();
  const loss = (xv: tf.Tensor): number => {
    const y = tf.tidy(() => f(xv)).dataSync();
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i]! * rData[i]!;
    return s;
  };
  const g = tf.tidy(() => tf.grad((xv: tf.Tensor) => tf.sum(tf.mul(f(xv), r)))(x));
  const gData = g.dataSync();
  const gmax = Math.max(...Array.from(gData, Math.abs));
  const xData = x.dataSync();
  const rand = testRng(seed).uniform;
  for (let k = 0; k < coords; k++) {
    const i = Math.floor(rand() * xData.length);
    const plus = new Float32Array(xData), minus = new Float32Array(xData);
    plus[i]! += eps;
    minus[i]! -= eps;
    const xp = tf.tensor(plus, x.shape), xm = tf.tensor(minus, x.shape);
    const numeric = (loss(xp) - loss(xm)) / (2 * eps);
    xp.dispose();
    xm.dispose();
    const analytic = gData[i]!;
    const tol = rtol * Math.max(Math.abs(numeric), Math.abs(analytic)) + rtol * 0.1 * gmax + 1e-6;
    assert.ok(
      Math.abs(numeric - analytic) <= tol,
      `gradient at ${i}: analytic ${analytic}, numeric ${numeric} (gmax ${gmax})`,
    );
  }
  g.dispose();
  r.dispose();
};

/**
 * Checks the gradient of `loss` with respect to parameter `name` of `store` (analytic, from
 * `store.valueAndGrads`) against central differences obtained by assigning perturbed values.
 */
export const paramGradCheck = (
  store: ParamStore,
  name: string,
  loss: () => tf.Scalar,
  opts: { coords?: number; eps?: number; rtol?: number; seed?: number } = {},
): void => {
  const { coords = 4, eps = 1e-2, rtol = 1e-2, seed = 5 } = opts;
  const v = store.get(name);
  const { value, grads } = store.valueAndGrads(loss);
  const g = grads[name]!.dataSync();
  const gmax = Math.max(...Array.from(g, Math.abs));
  const orig = new Float32Array(v.dataSync());
  const at = (data: Float32Array): number => {
    tf.tidy(() => v.assign(tf.tensor(data, v.shape)));
    return tf.tidy(() => loss().dataSync()[0]!);
  };
  const rand = testRng(seed).uniform;
  for (let k = 0; k < coords; k++) {
    const i = Math.floor(rand() * orig.length);
    const plus = new Float32Array(orig), minus = new Float32Array(orig);
    plus[i]! += eps;
    minus[i]! -= eps;
    const numeric = (at(plus) - at(minus)) / (2 * eps);
    const tol = rtol * Math.max(Math.abs(numeric), Math.abs(g[i]!)) + rtol * 0.1 * gmax + 1e-6;
    assert.ok(
      Math.abs(numeric - g[i]!) <= tol,
      `${name}[${i}]: analytic ${g[i]}, numeric ${numeric}`,
    );
  }
  at(orig);
  tf.dispose([value, ...Object.values(grads)]);
};
