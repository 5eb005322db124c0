import assert from "node:assert/strict";
import { tf } from "../../src/tensor/tf.ts";
import { selectBackend } from "../../src/engine/backend.ts";
import { poolStats } from "../../src/engine/ort/bufferPool.ts";

const N = 1 << 15; // above the pooling threshold

async function ort() {
  await selectBackend("ort", { threads: 2 });
}

Deno.test("the ort backend reuses a disposed kernel output for the next one of that size", async () => {
  await ort();
  const x = tf.fill([N], 1);
  tf.add(x, x).dispose();
  const before = poolStats.reused;
  const y = tf.add(x, x);
  assert.ok(poolStats.reused > before, "the second output should come from the pool");
  assert.equal(y.dataSync()[N - 1], 2);
  tf.dispose([x, y]);
});

Deno.test("an array returned by dataSync() is never overwritten after its tensor is disposed", async () => {
  await ort();
  const x = tf.fill([N], 3);
  const a = tf.add(x, x);
  const seen = a.dataSync();
  a.dispose();
  const b = tf.mul(x, x); // same size: would take a's array if it had been recycled
  assert.equal(seen[0], 6);
  assert.equal(seen[N - 1], 6);
  assert.equal(b.dataSync()[0], 9);
  tf.dispose([x, b]);
});

Deno.test("a slice that views a disposed tensor's memory keeps it from being recycled", async () => {
  await ort();
  const x = tf.fill([2, N], 5);
  const a = tf.add(x, x); // [2, N] of 10
  const half = tf.slice(a, [0, 0], [1, N]); // contiguous: tfjs returns a view of a's memory
  a.dispose();
  const b = tf.mul(x, x); // same size as a: must get fresh memory
  assert.equal(half.dataSync()[N - 1], 10);
  assert.equal(b.dataSync()[0], 25);
  tf.dispose([x, half, b]);
});
