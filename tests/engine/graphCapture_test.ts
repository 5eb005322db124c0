import assert from "node:assert/strict";
import { tf } from "../../src/tensor/tf.ts";
import { selectBackend } from "../../src/engine/backend.ts";
import {
  capturedProgramCount,
  captureForward,
  captureStats,
  clearCapturedPrograms,
  resetCaptureStats,
  setMaxCapturedPrograms,
} from "../../src/engine/ort/graphCapture.ts";
import { createLeakGuard } from "../../src/engine/leakGuard.ts";
import { createUNet } from "../../src/models/unet.ts";
import { createViT } from "../../src/models/vit.ts";
import { createClassifier } from "../../src/models/classifier.ts";
import type { ParamStore } from "../../src/models/params.ts";
import { randomArray, relError } from "./helpers.ts";

await selectBackend("ort", { threads: 1 });

const paramsOf = (p: ParamStore) => () => p.names().map((n) => p.get(n));
const img = (shape: [number, number, number, number], seed: number) =>
  tf.tensor4d(randomArray(shape.reduce((a, b) => a * b), seed), shape);

const read = (t: tf.Tensor) => {
  const v = t.dataSync().slice();
  t.dispose();
  return v;
};

/**
 * Records on `first`, then replays on `second` (other values, same shapes) and compares with
 * per-op dispatch on `second`.
 */
function compare(
  fn: (...xs: tf.Tensor[]) => tf.Tensor,
  params: () => tf.Tensor[],
  key: string,
  first: tf.Tensor[],
  second: tf.Tensor[],
) {
  const cap = captureForward(fn, { key, params });
  read(tf.tidy(() => cap(...first)));
  const eager = read(tf.tidy(() => fn(...second)));
  resetCaptureStats();
  const replayed = read(tf.tidy(() => cap(...second)));
  return { eager, replayed, stats: { ...captureStats } };
}

/** Spread of a result: a zero-initialised output layer would make every comparison trivial. */
const spread = (v: ArrayLike<number>) => Math.max(...Array.from(v)) - Math.min(...Array.from(v));

const TOL = 1e-5; // max |captured − per-op| / max |per-op|, float32 summation order

Deno.test("captureForward() replays a conditional UNet within 1e-5 of per-op dispatch", () => {
  const net = createUNet({
    channels: 3,
    widths: [16, 32],
    resBlocksPerLevel: 1,
    attentionLevels: [],
    middle: "attention",
    numClasses: 4,
    headDim: 16,
    zeroInit: false,
  }, 3);
  const x = img([2, 8, 8, 3], 1), t = tf.tensor1d([3, 700]), y = tf.tensor1d([1, 4], "int32");
  const x2 = img([2, 8, 8, 3], 2), t2 = tf.tensor1d([500, 20]), y2 = tf.tensor1d([0, 2], "int32");
  const r = compare(
    (a, b, c) => net.forward(a as tf.Tensor4D, b as tf.Tensor1D, c as tf.Tensor1D),
    paramsOf(net.params),
    "unet-test",
    [x, t, y],
    [x2, t2, y2],
  );
  assert.ok(spread(r.eager) > 1e-3);
  assert.ok(relError(r.replayed, r.eager) < TOL, `rel error ${relError(r.replayed, r.eager)}`);
  assert.equal(r.stats.replays, 1);
  // everything but the class-embedding lookup (Gather) and the product of the int32 timesteps
  // with the sinusoid frequencies runs inside whole graphs
  assert.ok(
    r.stats.perOpKernels <= 2 && r.stats.capturedKernels > 100,
    JSON.stringify(r.stats),
  );
  tf.dispose([x, t, y, x2, t2, y2]);
  net.params.dispose();
  clearCapturedPrograms();
});

/** A small U-ViT without zero-initialised output layers (so outputs and gradients are not 0). */
const smallViT = (seed: number) =>
  createViT({ imageSize: 8, patchSize: 2, dim: 32, depth: 3, heads: 2, zeroInit: false }, seed);

Deno.test("captureForward() replays a U-ViT within 1e-5 of per-op dispatch", () => {
  const net = smallViT(4);
  const x = img([2, 8, 8, 1], 5), t = tf.tensor1d([10, 900]);
  const x2 = img([2, 8, 8, 1], 6), t2 = tf.tensor1d([400, 1]);
  const r = compare(
    (a, b) => net.forward(a as tf.Tensor4D, b as tf.Tensor1D),
    paramsOf(net.params),
    "vit-test",
    [x, t],
    [x2, t2],
  );
  assert.ok(spread(r.eager) > 1e-3);
  assert.ok(relError(r.replayed, r.eager) < TOL, `rel error ${relError(r.replayed, r.eager)}`);
  assert.ok(r.stats.capturedKernels > 0, JSON.stringify(r.stats));
  tf.dispose([x, t, x2, t2]);
  net.params.dispose();
  clearCapturedPrograms();
});

Deno.test("captureForward() replays the classifier within 1e-5 of per-op dispatch", () => {
  const net = createClassifier({ widths: [8, 16], numClasses: 3 }, 5);
  const x = img([3, 8, 8, 1], 7), x2 = img([3, 8, 8, 1], 8);
  const r = compare(
    (a) => net.forward(a as tf.Tensor4D).logits,
    paramsOf(net.params),
    "clf-test",
    [x],
    [x2],
  );
  assert.ok(spread(r.eager) > 1e-4);
  assert.ok(relError(r.replayed, r.eager) < TOL, `rel error ${relError(r.replayed, r.eager)}`);
  assert.ok(r.stats.capturedKernels > 0, JSON.stringify(r.stats));
  tf.dispose([x, x2]);
  net.params.dispose();
  clearCapturedPrograms();
});

/** fn's loss and the gradient of every parameter, flattened into one vector. */
const lossAndGrads =
  (params: ParamStore, loss: (...xs: tf.Tensor[]) => tf.Scalar) => (...xs: tf.Tensor[]) => {
    const { value, grads } = params.valueAndGrads(() => loss(...xs));
    return tf.concat([value.reshape([1]), ...params.names().map((n) => grads[n]!.reshape([-1]))]);
  };

const GRAD_TOL = 1e-4; // gradients: longer float32 chains than a forward pass

Deno.test("captureForward() gives the classifier's loss and gradients within 1e-4 of per-op dispatch", () => {
  const net = createClassifier({ widths: [8, 16], numClasses: 3 }, 6);
  const y = tf.oneHot(tf.tensor1d([0, 2, 1], "int32"), 3);
  const x = img([3, 8, 8, 1], 9), x2 = img([3, 8, 8, 1], 10);
  const r = compare(
    lossAndGrads(
      net.params,
      (a) => tf.losses.softmaxCrossEntropy(y, net.forward(a as tf.Tensor4D).logits) as tf.Scalar,
    ),
    paramsOf(net.params),
    "clf-grad-test",
    [x],
    [x2],
  );
  assert.ok(spread(r.eager) > 1e-3);
  assert.ok(relError(r.replayed, r.eager) < GRAD_TOL, `rel error ${relError(r.replayed, r.eager)}`);
  assert.ok(r.stats.capturedKernels > 10 * r.stats.perOpKernels, JSON.stringify(r.stats));
  tf.dispose([x, x2, y]);
  net.params.dispose();
  clearCapturedPrograms();
});

Deno.test("captureForward() gives a U-ViT's loss and gradients within 1e-4 of per-op dispatch", () => {
  const net = smallViT(7);
  const target = img([2, 8, 8, 1], 11);
  const x = img([2, 8, 8, 1], 12), t = tf.tensor1d([10, 900]);
  const x2 = img([2, 8, 8, 1], 13), t2 = tf.tensor1d([400, 1]);
  const r = compare(
    lossAndGrads(
      net.params,
      (a, b) => tf.losses.meanSquaredError(target, net.forward(a as tf.Tensor4D, b as tf.Tensor1D)),
    ),
    paramsOf(net.params),
    "vit-grad-test",
    [x, t],
    [x2, t2],
  );
  assert.ok(spread(r.eager) > 1e-3);
  assert.ok(relError(r.replayed, r.eager) < GRAD_TOL, `rel error ${relError(r.replayed, r.eager)}`);
  assert.ok(r.stats.capturedKernels > 10 * r.stats.perOpKernels, JSON.stringify(r.stats));
  tf.dispose([x, t, x2, t2, target]);
  net.params.dispose();
  clearCapturedPrograms();
});

/** A small UNet whose replays are compared, reassigned and counted below. */
const smallUNet = () =>
  createUNet({
    channels: 1,
    widths: [8, 16],
    resBlocksPerLevel: 1,
    attentionLevels: [],
    middle: "none",
    headDim: 8,
    zeroInit: false,
  }, 9);

Deno.test("captureForward() gives bit-identical results for the same seed and sees reassigned parameters", () => {
  const net = smallUNet();
  const cap = captureForward(
    (a: tf.Tensor, b: tf.Tensor) => net.forward(a as tf.Tensor4D, b as tf.Tensor1D),
    { key: "det-test", params: paramsOf(net.params) },
  );
  const run = (seed: number) =>
    read(
      tf.tidy(() => cap(tf.randomNormal([2, 8, 8, 1], 0, 1, "float32", seed), tf.fill([2], 50))),
    );
  run(1); // records
  const a = run(2), b = run(2);
  assert.deepEqual(a, b);
  // an optimiser-style `assign` swaps the variable's storage: the replay must read the new one
  const w = net.params.get("conv_out.w");
  w.assign(tf.mul(w, 2));
  const eager = read(
    tf.tidy(() =>
      net.forward(
        tf.randomNormal([2, 8, 8, 1], 0, 1, "float32", 2) as tf.Tensor4D,
        tf.fill([2], 50) as tf.Tensor1D,
      )
    ),
  );
  const c = run(2);
  assert.ok(relError(c, a) > 0.1);
  assert.ok(relError(c, eager) < TOL, `rel error ${relError(c, eager)}`);
  net.params.dispose();
  clearCapturedPrograms();
});

Deno.test("captureForward() leaks no tensors over many replays and keeps at most maxPrograms graphs", () => {
  const net = smallUNet();
  const cap = captureForward(
    (a: tf.Tensor, b: tf.Tensor) => net.forward(a as tf.Tensor4D, b as tf.Tensor1D),
    { key: "leak-test", params: paramsOf(net.params) },
  );
  const guard = createLeakGuard({ window: 5, warmup: 1 });
  for (let i = 0; i < 30; i++) {
    tf.tidy(() => cap(tf.randomNormal([2, 8, 8, 1], 0, 1, "float32", i), tf.fill([2], i)))
      .dispose();
    guard.check();
  }
  setMaxCapturedPrograms(2);
  for (const b of [1, 2, 3, 4]) {
    tf.tidy(() => cap(tf.zeros([b, 8, 8, 1]), tf.zeros([b]))).dispose();
  }
  assert.equal(capturedProgramCount(), 2);
  setMaxCapturedPrograms(16);
  net.params.dispose();
  clearCapturedPrograms();
});

Deno.test("captureForward() refuses a variable that fn reads but params does not list", () => {
  const w = tf.variable(tf.ones([4, 4]), true, "unlisted-w");
  const cap = captureForward((x: tf.Tensor) => tf.matMul(x, w), {
    key: "unlisted",
    params: () => [],
  });
  const x = tf.ones([2, 4]);
  assert.throws(() => tf.tidy(() => cap(x)), /variable "unlisted-w".*not listed/);
  tf.dispose([w, x]);
  clearCapturedPrograms();
});
