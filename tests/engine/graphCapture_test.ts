import assert from "node:assert/strict";
import { tf } from "../../src/tensor/tf.ts";
import { selectBackend } from "../../src/engine/backend.ts";
import {
  captureForward,
  captureStats,
  clearCapturedPrograms,
  resetCaptureStats,
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
  console.log(r.stats, relError(r.replayed, r.eager));
  assert.ok(relError(r.replayed, r.eager) < 1e-5, `rel error ${relError(r.replayed, r.eager)}`);
  assert.equal(r.stats.replays, 1);
  assert.ok(r.stats.capturedKernels > 0);
  tf.dispose([x, t, y, x2, t2, y2]);
  net.params.dispose();
  clearCapturedPrograms();
});
