import assert from "node:assert/strict";
import { tf } from "../../src/tensor/tf.ts";
import { selectBackend } from "../../src/engine/backend.ts";
import { groupNormSilu } from "../../src/engine/groupNorm.ts";
import { createLeakGuard } from "../../src/engine/leakGuard.ts";
import { everythingOnOrt, randomArray } from "./helpers.ts";

/** A small UNet-like conv net (conv, GroupNorm+SiLU, strided conv, upsampling, skip concat). */
function trainLosses(steps: number): number[] {
  let seed = 1;
  const param = (shape: number[], scale: number) =>
    tf.variable(tf.tensor(randomArray(shape.reduce((a, b) => a * b), seed++), shape).mul(scale));
  const w1 = param([3, 3, 1, 16], 0.5), b1 = param([16], 0.1);
  const g1 = tf.variable(tf.ones([16])), be1 = tf.variable(tf.zeros([16]));
  const w2 = param([3, 3, 16, 16], 0.1), w3 = param([1, 1, 32, 16], 0.2);
  const w4 = param([3, 3, 16, 1], 0.1), b4 = param([1], 0.1);
  const x = tf.tensor4d(randomArray(4 * 8 * 8, 99), [4, 8, 8, 1]);
  const target = tf.tensor4d(randomArray(4 * 8 * 8, 98), [4, 8, 8, 1]);
  const opt = tf.train.adam(1e-2);
  const guard = createLeakGuard({ window: 3, warmup: 1 });
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const cost = opt.minimize(() => {
      const h1 = groupNormSilu(
        tf.fused.conv2d({ x, filter: w1 as tf.Tensor4D, bias: b1, strides: 1, pad: "same" }),
        g1 as tf.Tensor1D,
        be1 as tf.Tensor1D,
        4,
      );
      const h2 = tf.relu(tf.conv2d(h1, w2 as tf.Tensor4D, 2, "same")); // [4, 4, 4, 16]
      const up = tf.image.resizeNearestNeighbor(h2, [8, 8]);
      const h3 = tf.conv2d(tf.concat([h1, up], 3), w3 as tf.Tensor4D, 1, "same");
      const y = tf.fused.conv2d({
        x: h3,
        filter: w4 as tf.Tensor4D,
        bias: b4,
        strides: 1,
        pad: "same",
      });
      return tf.losses.meanSquaredError(target, y) as tf.Scalar;
    }, true);
    losses.push(cost!.dataSync()[0]!);
    cost!.dispose();
    guard.check();
  }
  tf.dispose([w1, b1, g1, be1, w2, w3, w4, b4, x, target]);
  opt.dispose();
  return losses;
}

Deno.test("a small conv net trains to the same losses on cpu and ort (same seed, 1e-3)", async () => {
  await selectBackend("cpu");
  const cpu = trainLosses(6);
  await selectBackend("ort", { threads: 2 });
  const ort = everythingOnOrt(() => trainLosses(6));
  assert.ok(cpu[5]! < cpu[0]!, `the loss should fall: ${cpu}`);
  cpu.forEach((l, i) => {
    const rel = Math.abs(ort[i]! - l) / Math.abs(l);
    assert.ok(rel < 1e-3, `step ${i}: cpu ${l} vs ort ${ort[i]} (relative ${rel})`);
  });
});
