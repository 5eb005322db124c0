/**
 * The `webgpu` backend against `cpu` (op by op, forward and gradient) and against `ort` (a UNet
 * training step), on whatever adapter this machine has: in CI that is Mesa's software driver
 * (`apt-get install mesa-vulkan-drivers`). Without an adapter every test here is skipped with a
 * message. Shapes are small: a software GPU runs them in seconds.
 *
 * Tolerances: relative error = max |a − b| / max |b| (helpers.ts). Ops 1e-4; whole-model
 * gradients 1e-3; one UNet training step (loss and updated weights) against ort 1e-3. The smoke
 * profiles on webgpu against ort: tests/pipelines/crossBackend_test.ts.
 */
import assert from "node:assert/strict";
import * as v from "valibot";
import { tf } from "../../src/tensor/tf.ts";
import { selectBackend } from "../../src/engine/backend.ts";
import { groupNorm, groupNormSilu } from "../../src/engine/groupNorm.ts";
import { probeAdapter } from "../../src/engine/webgpuAdapter.ts";
import { createLeakGuard } from "../../src/engine/leakGuard.ts";
import { readFloat32 } from "../../src/tensor/read.ts";
import { buildDenoiser, ModelSpecSchema } from "../../src/stages/models.ts";
import { createClassifier } from "../../src/models/classifier.ts";
import { makeAdamW } from "../../src/train/adamw.ts";
import { randomArray, relError } from "./helpers.ts";

const probe = await probeAdapter();
const ignore = !probe.found;
if (!probe.found) {
  console.log(
    `webgpu tests skipped: no WebGPU adapter (${probe.reason}); ` +
      `install mesa-vulkan-drivers (Debian) or a GPU driver to run them`,
  );
}

type Inputs = Record<string, tf.Tensor>;
interface OpCase {
  readonly name: string;
  readonly inputs: Record<string, number[]>;
  readonly f: (x: Inputs) => tf.Tensor;
}

/** Output and gradients (of Σ output·r, r fixed) of `c`, read asynchronously. */
const evaluate = async (c: OpCase): Promise<Float32Array[]> => {
  const names = Object.keys(c.inputs);
  const xs = names.map((n, i) => {
    const shape = c.inputs[n]!;
    return tf.tensor(randomArray(shape.reduce((a, b) => a * b, 1), 11 + i), shape);
  });
  const out = tf.tidy(() => c.f(Object.fromEntries(names.map((n, i) => [n, xs[i]!]))));
  const r = tf.tensor(randomArray(out.size, 7), out.shape);
  const grads = tf.grads((...args: tf.Tensor[]) =>
    tf.sum(tf.mul(c.f(Object.fromEntries(names.map((n, i) => [n, args[i]!]))), r))
  )(xs);
  const arrays = [await readFloat32(out), ...await Promise.all(grads.map((g) => readFloat32(g)))];
  tf.dispose([...xs, out, r, ...grads]);
  return arrays;
};

const onCpuThenWebgpu = async <T>(fn: () => Promise<T>): Promise<{ cpu: T; gpu: T }> => {
  await selectBackend("cpu");
  const cpu = await fn();
  await selectBackend("webgpu");
  const gpu = await fn();
  return { cpu, gpu };
};

const conv = (stride: number, pad: "same" | "valid"): OpCase => ({
  name: `conv2d stride ${stride} ${pad}`,
  inputs: { x: [2, 7, 7, 3], w: [3, 3, 3, 4] },
  f: ({ x, w }) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad),
});

const CASES: OpCase[] = [
  conv(1, "same"),
  conv(2, "same"),
  conv(2, "valid"),
  {
    name: "fused conv2d with bias (1×1)",
    inputs: { x: [2, 4, 4, 8], w: [1, 1, 8, 4], b: [4] },
    f: ({ x, w, b }) =>
      tf.fused.conv2d({
        x: x as tf.Tensor4D,
        filter: w as tf.Tensor4D,
        bias: b!,
        strides: 1,
        pad: "same",
      }),
  },
  {
    name: "groupNorm",
    inputs: { x: [2, 4, 4, 8], g: [8], b: [8] },
    f: ({ x, g, b }) => groupNorm(x!, g as tf.Tensor1D, b as tf.Tensor1D, 4),
  },
  {
    name: "groupNormSilu on tokens",
    inputs: { x: [2, 6, 8], g: [8], b: [8] },
    f: ({ x, g, b }) => groupNormSilu(x!, g as tf.Tensor1D, b as tf.Tensor1D, 2),
  },
  {
    name: "attention: matMul, softmax, matMul",
    inputs: { q: [2, 5, 8], k: [2, 5, 8], val: [2, 5, 8] },
    f: ({ q, k, val }) =>
      tf.matMul(tf.softmax(tf.mul(tf.matMul(q!, k!, false, true), 8 ** -0.5)), val!),
  },
  {
    name: "matMul 2-D",
    inputs: { a: [6, 16], b: [16, 12] },
    f: ({ a, b }) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
  },
  {
    name: "layer norm (moments, rsqrt)",
    inputs: { x: [3, 4, 16] },
    f: ({ x }) => {
      const { mean, variance } = tf.moments(x!, -1, true);
      return tf.mul(tf.sub(x!, mean), tf.rsqrt(tf.add(variance, 1e-5)));
    },
  },
  {
    name: "resizeNearestNeighbor ×2",
    inputs: { x: [2, 3, 3, 4] },
    f: ({ x }) => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [6, 6]),
  },
  {
    name: "resizeBilinear ×2",
    inputs: { x: [2, 3, 3, 4] },
    f: ({ x }) => tf.image.resizeBilinear(x as tf.Tensor4D, [6, 6]),
  },
  {
    name: "silu, relu, sin/cos embedding, concat, slice, transpose",
    inputs: { x: [2, 4, 6] },
    f: ({ x }) => {
      const s = tf.mul(x!, tf.sigmoid(x!));
      const e = tf.concat([tf.sin(x!), tf.cos(x!), tf.relu(s)], 2);
      return tf.transpose(tf.slice(e, [0, 1, 2], [2, 3, 10]), [0, 2, 1]);
    },
  },
  {
    name: "mean, square, maximum, clipByValue",
    inputs: { x: [2, 3, 4, 5], y: [2, 3, 4, 5] },
    f: ({ x, y }) =>
      tf.mean(tf.square(tf.sub(tf.clipByValue(tf.maximum(x!, tf.mul(y!, 0.5)), -0.8, 0.8), y!)), [
        1,
        2,
        3,
      ]),
  },
  {
    // tfjs's webgpu AddN binds every input: 8 or more exceed the device's storage-buffer limit
    // and gave zeros (src/engine/webgpuFixes.ts); AdamW's gradient norm is such a sum
    name: "addN of 20 squared sums (a global gradient norm)",
    inputs: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`g${i}`, [3 + i, 2]])),
    f: (x) => tf.addN(Object.values(x).map((g) => tf.sum(tf.square(g)))),
  },
];

for (const c of CASES) {
  Deno.test({
    name: `webgpu ${c.name}: output and gradients match cpu (1e-4)`,
    ignore,
    fn: async () => {
      const { cpu, gpu } = await onCpuThenWebgpu(() => evaluate(c));
      cpu.forEach((want, i) => {
        const rel = relError(gpu[i]!, want);
        assert.ok(rel < 1e-4, `${i === 0 ? "output" : `gradient ${i}`}: relative error ${rel}`);
      });
    },
  });
}

Deno.test({
  name: "webgpu gather (class embedding) matches cpu",
  ignore,
  fn: async () => {
    const { cpu, gpu } = await onCpuThenWebgpu(async () => {
      const table = tf.tensor2d(randomArray(5 * 4, 3), [5, 4]);
      const out = tf.gather(table, tf.tensor1d([4, 0, 2], "int32"));
      const values = await readFloat32(out);
      tf.dispose([table, out]);
      return values;
    });
    assert.deepEqual(Array.from(gpu), Array.from(cpu));
  },
});

const unetSpec = v.parse(ModelSpecSchema, {
  kind: "unet",
  widths: [8, 16],
  resBlocksPerLevel: 1,
  headDim: 8,
  groups: 4,
  middle: "attention",
});
const vitSpec = v.parse(ModelSpecSchema, {
  kind: "vit",
  patchSize: 2,
  dim: 16,
  depth: 1,
  heads: 2,
});

/** Loss and every parameter gradient of a tiny model on a fixed batch. */
const modelGradients = async (kind: "unet" | "vit" | "classifier") => {
  const x = tf.tensor4d(randomArray(2 * 8 * 8 * 1, 5), [2, 8, 8, 1]);
  const t = tf.tensor1d([3, 17]);
  const y = tf.tensor1d([0, 1], "int32");
  const r = tf.tensor(randomArray(2 * 8 * 8, 6), [2, 8, 8, 1]);
  const facts = { channels: 1, imageSize: 8, numClasses: 2 };
  let params, loss: () => tf.Scalar;
  if (kind === "classifier") {
    const m = createClassifier({ numClasses: 2, widths: [8, 16], groups: 4, channels: 1 }, 1);
    params = m.params;
    loss = () => tf.sum(m.forward(x).logits) as tf.Scalar;
  } else {
    const m = buildDenoiser(kind === "unet" ? unetSpec : vitSpec, facts, 1);
    params = m.params;
    loss = () => tf.sum(tf.mul(m.forward(x, t, y), r)) as tf.Scalar;
  }
  const { value, grads } = params.valueAndGrads(loss);
  const names = Object.keys(grads).sort();
  const out = {
    loss: (await readFloat32(value))[0]!,
    grads: await Promise.all(names.map((n) => readFloat32(grads[n]!))),
    names,
  };
  tf.dispose([x, t, y, r, value, ...Object.values(grads)]);
  params.dispose();
  return out;
};

for (const kind of ["unet", "vit", "classifier"] as const) {
  Deno.test({
    name: `webgpu ${kind}: loss and every parameter gradient match cpu (1e-3)`,
    ignore,
    fn: async () => {
      const { cpu, gpu } = await onCpuThenWebgpu(() => modelGradients(kind));
      assert.deepEqual(gpu.names, cpu.names);
      const lossRel = Math.abs(gpu.loss - cpu.loss) / Math.max(1e-12, Math.abs(cpu.loss));
      assert.ok(lossRel < 1e-3, `loss ${gpu.loss} vs ${cpu.loss}`);
      const worst = cpu.grads.map((g, i) => [relError(gpu.grads[i]!, g), cpu.names[i]] as const)
        .sort((a, b) => b[0] - a[0])[0]!;
      assert.ok(worst[0] < 1e-3, `gradient of ${worst[1]}: relative error ${worst[0]}`);
    },
  });
}

/** One AdamW step of the tiny conditional UNet: the loss and the updated weights. */
const unetStep = async () => {
  const m = buildDenoiser(unetSpec, { channels: 1, imageSize: 8, numClasses: 2 }, 3);
  const opt = makeAdamW(m.params, {
    lr: 1e-3,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    weightDecay: 0,
    warmupSteps: 0,
    gradClip: 1,
  });
  const x = tf.tensor4d(randomArray(4 * 8 * 8, 21), [4, 8, 8, 1]);
  const target = tf.tensor4d(randomArray(4 * 8 * 8, 22), [4, 8, 8, 1]);
  const t = tf.tensor1d([1, 50, 200, 900]);
  const y = tf.tensor1d([0, 1, 1, 0], "int32");
  const { value, grads } = m.params.valueAndGrads(() =>
    tf.losses.meanSquaredError(target, m.forward(x, t, y)) as tf.Scalar
  );
  const loss = (await readFloat32(value))[0]!;
  await opt.update(grads);
  const weights = await m.params.export();
  tf.dispose([x, target, t, y, value, ...Object.values(grads)]);
  opt.dispose();
  m.params.dispose();
  return { loss, weights };
};

Deno.test({
  name: "webgpu UNet training step: loss and updated weights match ort (1e-3)",
  ignore,
  fn: async () => {
    await selectBackend("ort", { threads: 2 });
    const ort = await unetStep();
    await selectBackend("webgpu");
    const gpu = await unetStep();
    const lossRel = Math.abs(gpu.loss - ort.loss) / Math.abs(ort.loss);
    assert.ok(lossRel < 1e-3, `loss ${gpu.loss} vs ort ${ort.loss}`);
    for (const [name, w] of Object.entries(ort.weights)) {
      const rel = relError(gpu.weights[name]!.data, w.data);
      assert.ok(rel < 1e-3, `${name}: relative error ${rel}`);
    }
  },
});

Deno.test({
  name: "webgpu leak guard counts GPU tensors: a forgotten dispose trips it",
  ignore,
  fn: async () => {
    await selectBackend("webgpu");
    const before = tf.memory().numTensors;
    const kept: tf.Tensor[] = [];
    const guard = createLeakGuard({ window: 4, warmup: 1, rss: false });
    assert.throws(() => {
      for (let i = 0; i < 10; i++) {
        kept.push(tf.tidy(() => tf.add(tf.ones([4, 4]), i))); // the leak: one GPU tensor a step
        guard.check();
      }
    }, /live tensors grew/);
    tf.dispose(kept);
    assert.equal(tf.memory().numTensors, before);
    const bytes = (tf.memory() as { numBytesInGPU?: number }).numBytesInGPU;
    assert.equal(typeof bytes, "number", "webgpu reports numBytesInGPU");
  },
});

Deno.test({
  name: "webgpu leak guard's GPU half fails when device memory keeps growing",
  ignore,
  fn: async () => {
    await selectBackend("webgpu");
    const kept: tf.Tensor[] = [];
    const guard = createLeakGuard({
      count: () => 0, // hide the tensor count: only device bytes can trip the guard
      rss: false,
      gpu: { warmup: 1, window: 2, allowBytes: 2 ** 20, allowFraction: 0 },
    });
    assert.throws(() => {
      for (let i = 0; i < 10; i++) {
        kept.push(tf.tidy(() => tf.add(tf.ones([512, 512]), i))); // 1 MiB more every step
        guard.check();
      }
    }, /GPU memory held by tfjs \(tf.memory\(\).numBytesAllocatedInGPU\) grew/);
    tf.dispose(kept);
  },
});
