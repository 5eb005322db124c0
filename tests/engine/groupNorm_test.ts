import assert from "node:assert/strict";
import { tf } from "../../src/tensor/tf.ts";
import { selectBackend } from "../../src/engine/backend.ts";
import { composed, groupNorm, groupNormSilu } from "../../src/engine/groupNorm.ts";
import { kernelCounts } from "../../src/engine/ort/kernels/util.ts";
import { assertSame, randomArray, relError } from "./helpers.ts";

const shape: [number, number, number, number] = [3, 4, 5, 8];
const xv = randomArray(3 * 4 * 5 * 8, 1).map((v) => v * 3 + 0.5);
const gv = randomArray(8, 2).map((v) => v + 1), bv = randomArray(8, 3);
const wv = randomArray(3 * 4 * 5 * 8, 4);

function forwardAndGrads(op: (x: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D) => tf.Tensor) {
  const x = tf.tensor4d(xv, shape), g = tf.tensor1d(gv), b = tf.tensor1d(bv);
  const w = tf.tensor4d(wv, shape);
  const f = (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) =>
    op(a as tf.Tensor4D, c as tf.Tensor1D, d as tf.Tensor1D).mul(w).sum();
  const [gx, gg, gb] = tf.grads(f)([x, g, b]);
  return [op(x, g, b), gx!, gg!, gb!];
}

Deno.test("groupNormSilu()/groupNorm() JS kernels match the composed tfjs ops, forward and gradients", async () => {
  await selectBackend("cpu");
  for (const silu of [true, false]) {
    const fused = tf.tidy(() =>
      forwardAndGrads((x, g, b) => silu ? groupNormSilu(x, g, b, 2) : groupNorm(x, g, b, 2))
        .map((t) => Float32Array.from(t.dataSync()))
    );
    const ref = tf.tidy(() =>
      forwardAndGrads((x, g, b) => composed(x, g, b, { groups: 2, eps: 1e-5, silu }))
        .map((t) => Float32Array.from(t.dataSync()))
    );
    fused.forEach((v, k) => {
      const e = relError(v, ref[k]!);
      assert.ok(e < 1e-4, `silu=${silu} output ${k}: relative error ${e}`);
    });
  }
});

Deno.test("groupNormSilu()/groupNorm() on ort match cpu, forward and gradients", async () => {
  for (const groups of [1, 2, 8]) {
    for (const silu of [true, false]) {
      await assertSame(
        `groupNorm g=${groups} silu=${silu}`,
        () =>
          forwardAndGrads((x, g, b) =>
            silu ? groupNormSilu(x, g, b, groups) : groupNorm(x, g, b, groups)
          ),
      );
    }
  }
  assert.ok((kernelCounts.get("DiffrunGroupNorm")?.ort ?? 0) >= 6);
  assert.ok((kernelCounts.get("DiffrunGroupNormGrad")?.ort ?? 0) >= 6);
});

Deno.test("groupNormSilu() handles token tensors [B, N, D] on cpu and ort", async () => {
  const tv = randomArray(3 * 7 * 8, 11), tw = randomArray(3 * 7 * 8, 12);
  const run = (op: (t: tf.Tensor, g: tf.Tensor1D, b: tf.Tensor1D) => tf.Tensor) => () => {
    const t = tf.tensor3d(tv, [3, 7, 8]), g = tf.tensor1d(gv), b = tf.tensor1d(bv);
    const w = tf.tensor3d(tw, [3, 7, 8]);
    const [gt, gg, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) =>
      op(p, q as tf.Tensor1D, r as tf.Tensor1D).mul(w).sum()
    )([t, g, b]);
    return [op(t, g, b), gt!, gg!, gb!];
  };
  await selectBackend("cpu");
  const fused = tf.tidy(() =>
    run((t, g, b) => groupNormSilu(t, g, b, 4))().map((t) => Float32Array.from(t.dataSync()))
  );
  const ref = tf.tidy(() =>
    run((t, g, b) => composed(t, g, b, { groups: 4, eps: 1e-5, silu: true }))()
      .map((t) => Float32Array.from(t.dataSync()))
  );
  fused.forEach((v, k) => assert.ok(relError(v, ref[k]!) < 1e-4, `output ${k}`));
  await assertSame("groupNormSilu tokens", run((t, g, b) => groupNormSilu(t, g, b, 4)));
});

Deno.test("groupNorm() rejects a group count that does not divide the channels", async () => {
  await selectBackend("cpu");
  assert.throws(
    () => groupNorm(tf.zeros([1, 2, 2, 6]), tf.ones([6]), tf.zeros([6]), 4),
    /groups \(4\) must divide the channel count \(6\)/,
  );
});
