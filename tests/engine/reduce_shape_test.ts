import assert from "node:assert/strict";
import { tf } from "../../src/tensor/tf.ts";
import { kernelCounts } from "../../src/engine/ort/kernels/util.ts";
import { assertSame, randomArray } from "./helpers.ts";

const xv = randomArray(2 * 3 * 4 * 5, 7);
const x = () => tf.tensor(xv, [2, 3, 4, 5]);

function ranOnOrt(name: string, before: number): void {
  assert.ok((kernelCounts.get(name)?.ort ?? 0) > before, `${name} did not run on ORT`);
}

Deno.test("sum/mean/max/min on ort match cpu over any axes, with keepDims and gradients", async () => {
  const ops: [string, (t: tf.Tensor, ax: number | number[], k: boolean) => tf.Tensor][] = [
    ["Sum", tf.sum],
    ["Mean", tf.mean],
    ["Max", tf.max],
    ["Min", tf.min],
  ];
  for (const [name, op] of ops) {
    for (const axis of [3, 0, [1, 2], [0, 1, 2], [0, 2], [0, 1, 2, 3], -1]) {
      for (const keep of [false, true]) {
        const before = kernelCounts.get(name)?.ort ?? 0;
        await assertSame(`${name} ${axis} ${keep}`, () => {
          const [g] = tf.grads((t: tf.Tensor) => op(t, axis, keep).square().sum())([x()]);
          return [op(x(), axis, keep), g!];
        });
        ranOnOrt(name, before);
      }
    }
  }
});

Deno.test("sum/mean/max/min with no axis (every axis) run on ort and match cpu", async () => {
  // tf.sum(x) passes axis null (Max/Min: reductionIndices null): every axis, not a JS fallback
  const ops: [string, (t: tf.Tensor) => tf.Tensor][] = [
    ["Sum", (t) => tf.sum(t)],
    ["Mean", (t) => tf.mean(t)],
    ["Max", (t) => tf.max(t)],
    ["Min", (t) => tf.min(t)],
  ];
  for (const [name, op] of ops) {
    const before = kernelCounts.get(name)?.ort ?? 0;
    await assertSame(`${name} (every axis)`, () => [op(x())]);
    ranOnOrt(name, before);
  }
});

Deno.test("reductions over a long leading axis (split in two stages on ort) match cpu", async () => {
  const v = randomArray(64 * 8 * 8 * 3, 10);
  for (const [name, op] of [["sum", tf.sum], ["mean", tf.mean], ["max", tf.max]] as const) {
    for (const axis of [[0, 1, 2], [0], [0, 1, 2, 3]]) {
      await assertSame(`${name} ${axis}`, () => op(tf.tensor(v, [64, 8, 8, 3]), axis));
    }
  }
});

Deno.test("sum() on ort handles size-1 axes like cpu", async () => {
  const v = randomArray(2 * 3, 9);
  for (const axis of [[1], [1, 3], [0, 1]]) {
    await assertSame(`sum size-1 ${axis}`, () => tf.sum(tf.tensor(v, [2, 1, 3, 1]), axis));
  }
});

Deno.test("softmax() on ort matches cpu, forward and gradient", async () => {
  const before = kernelCounts.get("Softmax")?.ort ?? 0;
  await assertSame("Softmax", () => {
    const w = tf.range(0, 120).reshape([2, 3, 4, 5]);
    const [g] = tf.grads((t: tf.Tensor) => tf.softmax(t.mul(3)).mul(w).sum())([x()]);
    return [tf.softmax(x().mul(3)), g!];
  });
  ranOnOrt("Softmax", before);
});

Deno.test("transpose/concat/split/slice/tile/pad on ort match cpu, with gradients", async () => {
  const yv = randomArray(2 * 3 * 4 * 2, 8);
  const cases: [string, (t: tf.Tensor) => tf.Tensor | tf.Tensor[]][] = [
    ["Transpose", (t) => tf.transpose(t, [0, 2, 1, 3])],
    ["Concat", (t) => tf.concat([t, tf.tensor(yv, [2, 3, 4, 2]).add(t.slice(0, [2, 3, 4, 2]))], 3)],
    ["SplitV", (t) => tf.split(t, [2, 3], 3)],
    ["Slice", (t) => tf.slice(t, [0, 1, 1, 1], [2, 2, 3, 3])],
    ["Tile", (t) => tf.tile(t, [1, 2, 1, 3])],
    ["PadV2", (t) => tf.pad(t, [[0, 0], [1, 2], [0, 1], [1, 0]], 0.5)],
  ];
  for (const [name, op] of cases) {
    const before = kernelCounts.get(name)?.ort ?? 0;
    await assertSame(name, () => {
      const f = (t: tf.Tensor) => {
        const out = op(t);
        const list = Array.isArray(out) ? out : [out];
        return tf.addN(list.map((o, k) => o.square().mul(k + 1).sum()));
      };
      const [g] = tf.grads(f)([x()]);
      const out = op(x());
      return [...(Array.isArray(out) ? out : [out]), g!];
    });
    ranOnOrt(name, before);
  }
});
