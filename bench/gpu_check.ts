/**
 * `deno task gpu-check`: what a machine's WebGPU can do for diffrun, in one run.
 *
 *   1. the adapter (vendor, architecture, device, description, software or not, buffer limits);
 *   2. kernel parity: conv2d, matMul, attention, GroupNorm, resize, forward and gradient, against
 *      tfjs's cpu backend (relative error = max |a − b| / max |b|);
 *   3. UNet training steps/s (diffrun's conditional UNet, AdamW, batch --train-batch);
 *   4. sampling throughput, images·steps/s, for every --batches × --sizes (default 64, 256 at
 *      32×32 and 64×64): one network evaluation per sampler step.
 * It ends with one JSON line. On a software driver shrink it: `--quick` (or the flags below).
 *
 *   deno task gpu-check [--quick] [--batches 64,256] [--sizes 32,64] [--steps 10]
 *                       [--train-batch 64] [--train-steps 10] [--widths 32,64,64]
 *
 * Self-contained for `deno compile` (bench/gpu-check-pack.sh): it imports neither onnxruntime
 * nor the runner, only tfjs, its WebGPU backend and diffrun's models.
 */
import * as v from "valibot";
import { tf } from "../src/tensor/tf.ts";
import { registerCpuFixes } from "../src/engine/cpuFixes.ts";
import { groupNorm, registerGroupNormKernels } from "../src/engine/groupNorm.ts";
import { loadWebgpuBackend } from "../src/engine/webgpu.ts";
import { probeAdapter } from "../src/engine/webgpuAdapter.ts";
import { readFloat32 } from "../src/tensor/read.ts";
import { buildDenoiser, ModelSpecSchema } from "../src/stages/models.ts";
import { makeAdamW } from "../src/train/adamw.ts";

interface Options {
  batches: number[];
  sizes: number[];
  steps: number;
  trainBatch: number;
  trainSteps: number;
  widths: number[];
}

const FULL: Options = {
  batches: [64, 256],
  sizes: [32, 64],
  steps: 10,
  trainBatch: 64,
  trainSteps: 10,
  widths: [32, 64, 64],
};
const QUICK: Options = {
  batches: [2],
  sizes: [16],
  steps: 2,
  trainBatch: 4,
  trainSteps: 2,
  widths: [8, 16],
};

const ints = (s: string) => s.split(",").map((x) => Number(x));
const parseArgs = (args: readonly string[]): Options => {
  const o = { ...(args.includes("--quick") ? QUICK : FULL) };
  for (let i = 0; i < args.length; i++) {
    const value = args[i + 1] ?? "";
    switch (args[i]) {
      case "--quick":
        continue;
      case "--batches":
        o.batches = ints(value);
        break;
      case "--sizes":
        o.sizes = ints(value);
        break;
      case "--steps":
        o.steps = Number(value);
        break;
      case "--train-batch":
        o.trainBatch = Number(value);
        break;
      case "--train-steps":
        o.trainSteps = Number(value);
        break;
      case "--widths":
        o.widths = ints(value);
        break;
      default:
        console.error(`gpu-check: unknown argument "${args[i]}"`);
        Deno.exit(2);
    }
    i++;
  }
  const bad = Object.entries(o).find(([, x]) =>
    (Array.isArray(x) ? x : [x]).some((n) => !Number.isInteger(n) || n < 1)
  );
  if (bad) {
    console.error(`gpu-check: --${bad[0]} needs positive integers, got ${bad[1]}`);
    Deno.exit(2);
  }
  return o;
};

const rand = (shape: number[], seed: number) => tf.randomUniform(shape, -1, 1, "float32", seed);

/** Forward and gradient of each kernel, read back as arrays. */
const KERNELS: Record<string, (seed: number) => tf.Tensor[]> = {
  "conv2d 3x3 stride 2": (s) => {
    const x = rand([2, 16, 16, 8], s), w = rand([3, 3, 8, 16], s + 1);
    const f = (a: tf.Tensor, b: tf.Tensor) =>
      tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, "same");
    return [
      f(x, w),
      ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(f(a, b))))([x, w]),
    ];
  },
  "matMul 64x128x64": (s) => {
    const a = rand([64, 128], s), b = rand([128, 64], s + 1);
    return [
      tf.matMul(a, b),
      ...tf.grads((p: tf.Tensor, q: tf.Tensor) =>
        tf.sum(tf.square(tf.matMul(p as tf.Tensor2D, q as tf.Tensor2D)))
      )([a, b]),
    ];
  },
  "attention softmax(QK^T)V": (s) => {
    const q = rand([4, 64, 32], s), k = rand([4, 64, 32], s + 1);
    const f = (a: tf.Tensor) => tf.matMul(tf.softmax(tf.matMul(a, k, false, true)), k);
    return [f(q), tf.grad((a: tf.Tensor) => tf.sum(tf.square(f(a))))(q)];
  },
  "groupNorm 8 groups": (s) => {
    const x = rand([2, 8, 8, 32], s), g = tf.ones([32]) as tf.Tensor1D, b = tf.zeros([32]);
    const f = (a: tf.Tensor) => groupNorm(a, g, b as tf.Tensor1D, 8);
    const r = rand([2, 8, 8, 32], s + 1); // Σ y² is constant under normalisation: weight it
    return [f(x), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), r)))(x)];
  },
  "resizeNearestNeighbor 2x": (s) => {
    const x = rand([2, 8, 8, 16], s);
    const f = (a: tf.Tensor) => tf.image.resizeNearestNeighbor(a as tf.Tensor4D, [16, 16]);
    return [f(x), tf.grad((a: tf.Tensor) => tf.sum(tf.square(f(a))))(x)];
  },
};

const relError = (a: Float32Array, b: Float32Array): number => {
  let diff = 0, scale = 1e-12;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return a.length === b.length ? diff / scale : Infinity;
};

const runKernel = async (name: string): Promise<Float32Array[]> => {
  const outs = tf.tidy(() => KERNELS[name]!(1));
  const arrays = await Promise.all(outs.map((t) => readFloat32(t)));
  tf.dispose(outs);
  return arrays;
};

const unetSpec = (widths: number[]) =>
  v.parse(ModelSpecSchema, {
    kind: "unet",
    widths,
    resBlocksPerLevel: 1,
    groups: 4,
    headDim: Math.min(32, widths.at(-1)!),
  });

/** Seconds per step of `fn` over `steps` timed steps after one warm-up step. */
const timed = async (steps: number, fn: () => Promise<void>): Promise<number> => {
  await fn();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await fn();
  return (performance.now() - t0) / 1000 / steps;
};

const trainingRate = async (o: Options, size: number) => {
  const m = buildDenoiser(unetSpec(o.widths), { channels: 3, imageSize: size, numClasses: 10 }, 0);
  const opt = makeAdamW(m.params, {
    lr: 1e-4,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    weightDecay: 0,
    warmupSteps: 0,
    gradClip: 1,
  });
  const B = o.trainBatch;
  const x = rand([B, size, size, 3], 3) as tf.Tensor4D, target = rand([B, size, size, 3], 4);
  const t = tf.tensor1d(Float32Array.from({ length: B }, (_, i) => (i * 37) % 1000));
  const y = tf.tensor1d(Int32Array.from({ length: B }, (_, i) => i % 10), "int32");
  let loss = NaN;
  const seconds = await timed(o.trainSteps, async () => {
    const { value, grads } = m.params.valueAndGrads(() =>
      tf.losses.meanSquaredError(target, m.forward(x, t, y)) as tf.Scalar
    );
    await opt.update(grads);
    loss = (await readFloat32(value))[0]!;
    tf.dispose([value, ...Object.values(grads)]);
  });
  const parameters = m.parameterCount();
  tf.dispose([x, target, t, y]);
  opt.dispose();
  m.params.dispose();
  return { batch: B, size, parameters, stepsPerSecond: 1 / seconds, loss };
};

const samplingRate = async (o: Options, batch: number, size: number) => {
  const m = buildDenoiser(unetSpec(o.widths), { channels: 3, imageSize: size, numClasses: 10 }, 0);
  const y = tf.tensor1d(Int32Array.from({ length: batch }, (_, i) => i % 10), "int32");
  let x = rand([batch, size, size, 3], 5) as tf.Tensor4D;
  let step = 0;
  const seconds = await timed(o.steps, async () => {
    const t = tf.fill([batch], 999 - step++);
    const next = tf.tidy(() => tf.sub(x, tf.mul(m.forward(x, t as tf.Tensor1D, y), 0.01)));
    await readFloat32(tf.slice(next, [0, 0, 0, 0], [1, 1, 1, 1])); // waits for the device
    tf.dispose([x, t]);
    x = next as tf.Tensor4D;
  });
  tf.dispose([x, y]);
  m.params.dispose();
  return { batch, size, imageStepsPerSecond: batch / seconds };
};

export async function main(args: readonly string[] = Deno.args): Promise<void> {
  const o = parseArgs(args);
  const probe = await probeAdapter();
  if (!probe.found) {
    console.error(
      `gpu-check: no WebGPU adapter (${probe.reason}). Install a GPU driver with Vulkan ` +
        `(NVIDIA: set VK_DRIVER_FILES to its ICD json) or mesa-vulkan-drivers for a software one.`,
    );
    Deno.exit(1);
  }
  const adapter = probe.adapter;
  const kind = adapter.isFallbackAdapter ? "SOFTWARE GPU (not GPU speed)" : "hardware GPU";
  console.log(`adapter: ${adapter.description || "(no description)"} — ${kind}`);
  console.log(`  ${JSON.stringify(adapter)}`);

  registerCpuFixes();
  registerGroupNormKernels();
  const parity: Record<string, number> = {};
  const cpu: Record<string, Float32Array[]> = {};
  await tf.setBackend("cpu");
  for (const name of Object.keys(KERNELS)) cpu[name] = await runKernel(name);
  await loadWebgpuBackend();
  for (const name of Object.keys(KERNELS)) {
    const gpu = await runKernel(name);
    parity[name] = Math.max(...cpu[name]!.map((want, i) => relError(gpu[i]!, want)));
    console.log(`parity ${name}: max relative error ${parity[name]!.toExponential(2)}`);
  }

  const training = [];
  for (const size of o.sizes) {
    const r = await trainingRate(o, size);
    training.push(r);
    console.log(
      `train UNet ${r.parameters} params, batch ${r.batch} at ${size}×${size}: ` +
        `${r.stepsPerSecond.toFixed(3)} steps/s`,
    );
  }
  const sampling = [];
  for (const size of o.sizes) {
    for (const batch of o.batches) {
      const r = await samplingRate(o, batch, size);
      sampling.push(r);
      console.log(
        `sample batch ${batch} at ${size}×${size}: ${
          r.imageStepsPerSecond.toFixed(1)
        } images·steps/s`,
      );
    }
  }
  console.log(JSON.stringify({
    check: "gpu",
    software: adapter.isFallbackAdapter,
    adapter,
    options: o,
    parity,
    training,
    sampling,
    deno: Deno.version.deno,
  }));
}

if (import.meta.main) await main();
