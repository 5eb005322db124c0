import assert from "node:assert/strict";
import { tf } from "../../src/tensor/tf.ts";
import { currentEngine, selectBackend } from "../../src/engine/backend.ts";
import {
  TensorflowUnavailableError,
  TensorLeakError,
  UnknownBackendError,
  WebgpuUnavailableError,
} from "../../src/engine/errors.ts";
import { createLeakGuard } from "../../src/engine/leakGuard.ts";
import { sessionCount } from "../../src/engine/ort/sessionCache.ts";

Deno.test("selectBackend('ort') returns its identity", async () => {
  const id = await selectBackend("ort", { threads: 2 });
  assert.equal(id.backend, "ort");
  assert.equal(tf.getBackend(), "ort");
  assert.equal(id.threads, 2);
  assert.equal(id.version["onnxruntime-node"], "1.30.0");
  assert.equal(id.version.tfjs, "4.22.0");
  assert.equal(id.gpu, undefined);
  assert.deepEqual(currentEngine(), id);
});

Deno.test("selectBackend('cpu') gives the JS backend with one thread", async () => {
  const id = await selectBackend("cpu");
  assert.equal(tf.getBackend(), "cpu");
  assert.deepEqual({ backend: id.backend, threads: id.threads }, { backend: "cpu", threads: 1 });
});

Deno.test("selectBackend() rejects unknown names and keeps the current backend", async () => {
  await selectBackend("cpu");
  await assert.rejects(() => selectBackend("cuda"), (e: unknown) => {
    assert.ok(e instanceof UnknownBackendError);
    assert.match(e.message, /unknown tensor backend 'cuda'.*ort, cpu, tensorflow, webgpu/);
    return true;
  });
  assert.equal(tf.getBackend(), "cpu");
});

Deno.test("selectBackend('tensorflow') says clearly that tfjs-node is not installed", async () => {
  await selectBackend("cpu");
  await assert.rejects(() => selectBackend("tensorflow"), (e: unknown) => {
    assert.ok(e instanceof TensorflowUnavailableError);
    assert.equal(e._tag, "TensorflowUnavailableError");
    assert.match(e.message, /@tensorflow\/tfjs-node@4\.22\.0, which could not be loaded/);
    assert.match(e.message, /package\.json "dependencies"/);
    return true;
  });
  await assert.rejects(
    () => selectBackend("tensorflow", { gpu: true }),
    (e: unknown) => e instanceof TensorflowUnavailableError && /tfjs-node-gpu/.test(e.message),
  );
  assert.equal(tf.getBackend(), "cpu");
});

Deno.test("WebgpuUnavailableError names the backend, the reason and what to install", () => {
  const e = new WebgpuUnavailableError("navigator.gpu.requestAdapter() found no adapter");
  assert.match(e.message, /'webgpu' backend found no usable WebGPU adapter/);
  assert.match(e.message, /found no adapter/);
  assert.match(e.message, /apt-get install mesa-vulkan-drivers/);
  assert.match(e.message, /GPU driver/);
});

Deno.test("createLeakGuard() fails on a steady leak and names the counts", () => {
  let live = 100;
  const guard = createLeakGuard({ window: 5, warmup: 1, count: () => live });
  guard.check(); // warm-up
  assert.throws(() => {
    for (let step = 0; step < 20; step++) {
      live += 2;
      guard.check();
    }
  }, (e: unknown) => {
    assert.ok(e instanceof TensorLeakError);
    assert.match(e.message, /live tensors grew from 102 to 112 over the 5 steps up to step 7/);
    return true;
  });
});

Deno.test("createLeakGuard() tolerates a one-off rise and a flat count", () => {
  let live = 50;
  const guard = createLeakGuard({ window: 4, warmup: 0, count: () => live });
  for (let step = 0; step < 30; step++) {
    if (step === 10) live += 3; // e.g. a cached constant created once
    if (step % 7 === 3) live += 1; // occasional growth that is given back
    if (step % 7 === 4) live -= 1;
    guard.check();
  }
});

Deno.test("createLeakGuard() catches a real tfjs loop that forgets to dispose", async () => {
  await selectBackend("cpu");
  const guard = createLeakGuard({ window: 4, warmup: 1 });
  const kept: tf.Tensor[] = [];
  assert.throws(() => {
    for (let step = 0; step < 10; step++) {
      kept.push(tf.ones([2]).add(1)); // leaks the ones() and keeps the sum
      guard.check();
    }
  }, TensorLeakError);
  tf.dispose(kept);
});

Deno.test("selectBackend('ort') again keeps the warm session cache unless threads change", async () => {
  await selectBackend("ort", { threads: 2 });
  tf.tidy(() => tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])));
  const warm = sessionCount();
  assert.ok(warm > 0);
  await selectBackend("ort", { threads: 2 });
  assert.equal(sessionCount(), warm);
  await selectBackend("ort", { threads: 1 });
  assert.equal(sessionCount(), 0);
  await selectBackend("ort", { threads: 2 });
});
