import assert from "node:assert/strict";
import { tf } from "../../src/tensor/tf.ts";
import { kernelCounts } from "../../src/engine/ort/kernels/util.ts";
import { assertSame, randomArray } from "./helpers.ts";

const shapes: [number[], number[]][] = [
  [[2, 3, 4, 5], [2, 3, 4, 5]],
  [[2, 3, 4, 5], [5]],
  [[2, 3, 4, 5], [2, 1, 1, 5]],
  [[2, 1, 4, 1], [1, 3, 1, 5]],
  [[2, 3, 4, 5], []],
];

// tfjs has no broadcasting gradient for Maximum, Minimum and SquaredDifference: forward only there
const binaries: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
  ["Add", tf.add],
  ["Sub", tf.sub],
  ["Multiply", tf.mul],
  ["RealDiv", (a, b) => tf.div(a, tf.add(tf.abs(b), 0.5))],
  ["Maximum", tf.maximum],
  ["Minimum", tf.minimum],
  ["SquaredDifference", tf.squaredDifference],
  ["Pow", (a, b) => tf.pow(tf.add(tf.abs(a), 0.5), b)],
];

Deno.test("binary ops on ort match cpu with broadcasting, forward and gradients", async () => {
  let seed = 1;
  for (const [name, op] of binaries) {
    for (const [sa, sb] of shapes) {
      const av = randomArray(sa.reduce((p, q) => p * q, 1), seed++);
      const bv = randomArray(sb.reduce((p, q) => p * q, 1), seed++);
      const before = kernelCounts.get(name)?.ort ?? 0;
      const withGrad = !["Maximum", "Minimum", "SquaredDifference"].includes(name) ||
        sa.join() === sb.join();
      await assertSame(`${name} ${sa} ${sb}`, () => {
        const a = tf.tensor(av, sa), b = tf.tensor(bv, sb);
        if (!withGrad) return op(a, b);
        const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => op(x, y).square().sum())([a, b]);
        return [op(a, b), ga!, gb!];
      });
      assert.ok((kernelCounts.get(name)?.ort ?? 0) > before, `${name} did not run on ORT`);
    }
  }
});

const unaries: [string, (x: tf.Tensor) => tf.Tensor][] = [
  ["Exp", tf.exp],
  ["Log", (x) => tf.log(tf.add(tf.abs(x), 0.1))],
  ["Sqrt", (x) => tf.sqrt(tf.add(tf.abs(x), 0.1))],
  ["Rsqrt", (x) => tf.rsqrt(tf.add(tf.abs(x), 0.1))],
  ["Neg", tf.neg],
  ["Sigmoid", tf.sigmoid],
  ["Tanh", tf.tanh],
  ["Relu", tf.relu],
  ["Abs", tf.abs],
  ["Square", tf.square],
  ["Reciprocal", (x) => tf.reciprocal(tf.add(tf.abs(x), 0.5))],
  ["Erf", tf.erf],
  ["Sin", tf.sin],
  ["Cos", tf.cos],
  ["Softplus", tf.softplus],
  ["Elu", tf.elu],
  ["Relu6", (x) => tf.relu6(tf.mul(x, 8))],
  ["LeakyRelu", (x) => tf.leakyRelu(x, 0.1)],
  ["ClipByValue", (x) => tf.clipByValue(x, -0.3, 0.4)],
];

Deno.test("unary ops on ort match cpu, forward and gradients", async () => {
  const xv = randomArray(3 * 4 * 5, 42);
  for (const [name, op] of unaries) {
    const before = kernelCounts.get(name)?.ort ?? 0;
    await assertSame(name, () => {
      const x = tf.tensor(xv, [3, 4, 5]);
      const [gx] = tf.grads((t: tf.Tensor) => op(t).mul(tf.range(0, 60).reshape([3, 4, 5])).sum())(
        [x],
      );
      return [op(x), gx!];
    });
    assert.ok((kernelCounts.get(name)?.ort ?? 0) > before, `${name} did not run on ORT`);
  }
});

Deno.test("addN() on ort matches cpu", async () => {
  const vs = [1, 2, 3].map((s) => randomArray(24, s));
  await assertSame("AddN", () => tf.addN(vs.map((v) => tf.tensor(v, [2, 3, 4]))));
  assert.ok((kernelCounts.get("AddN")?.ort ?? 0) > 0);
});
