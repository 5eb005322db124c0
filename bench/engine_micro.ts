/**
 * Per-kernel microbenchmarks of the engine benchmark: one table row per kernel, GFLOP/s on the
 * `ort` and `cpu` backends (and PyTorch, filled in from bench/engine_torch.py by the caller).
 * Shapes are the heavy ones of the bench UNet at batch 64. The `cpu` backend runs at a smaller
 * batch (it needs seconds per call at 64); GFLOP/s hardly depends on the batch.
 */
import { tf } from "../src/tensor/tf.ts";
import { selectBackend } from "../src/engine/backend.ts";
import { groupNormSilu } from "../src/engine/groupNorm.ts";

export interface MicroCase {
  readonly name: string;
  /** Floating-point operations of one call at batch `b` (elementwise ops count one per output). */
  flops(b: number): number;
  /** Returns a function doing one call on tensors prepared for batch `b`, and a disposer. */
  setup(b: number): { run: () => tf.Tensor | tf.Tensor[]; dispose: () => void };
}

const conv = (b: number, hw: number, c: number, k: number, f: number) => ({
  x: tf.randomNormal([b, hw, hw, c]) as tf.Tensor4D,
  w: tf.randomNormal([f, f, c, k]) as tf.Tensor4D,
  dy: tf.randomNormal([b, hw, hw, k]) as tf.Tensor4D,
});

export const MICRO_CASES: MicroCase[] = [
  {
    name: "conv3x3 fwd 16x16 64→64",
    flops: (b) => 2 * b * 16 * 16 * 64 * 64 * 9,
    setup(b) {
      const t = conv(b, 16, 64, 64, 3);
      return { run: () => tf.conv2d(t.x, t.w, 1, "same"), dispose: () => tf.dispose(t) };
    },
  },
  {
    name: "conv3x3 dx 16x16 64→64",
    flops: (b) => 2 * b * 16 * 16 * 64 * 64 * 9,
    setup(b) {
      const t = conv(b, 16, 64, 64, 3);
      return {
        run: () => tf.conv2dTranspose(t.dy, t.w, [b, 16, 16, 64], 1, "same"),
        dispose: () => tf.dispose(t),
      };
    },
  },
  {
    name: "conv3x3 dw 16x16 64→64",
    flops: (b) => 2 * b * 16 * 16 * 64 * 64 * 9,
    setup(b) {
      const t = conv(b, 16, 64, 64, 3);
      const run = () =>
        tf.engine().runKernel("Conv2DBackpropFilter", { x: t.x, dy: t.dy }, {
          strides: 1,
          pad: "same",
          dataFormat: "NHWC",
          dimRoundingMode: undefined,
          filterShape: [3, 3, 64, 64],
        } as unknown as tf.NamedAttrMap) as tf.Tensor;
      return { run, dispose: () => tf.dispose(t) };
    },
  },
  {
    name: "conv3x3 fwd 32x32 32→32",
    flops: (b) => 2 * b * 32 * 32 * 32 * 32 * 9,
    setup(b) {
      const t = conv(b, 32, 32, 32, 3);
      return { run: () => tf.conv2d(t.x, t.w, 1, "same"), dispose: () => tf.dispose(t) };
    },
  },
  {
    // 1024³ takes the cpu backend seconds: it gets 256³ at its small batch
    name: "matmul 1024³ (cpu: 256³)",
    flops: (b) => 2 * (b >= 32 ? 1024 : 256) ** 3,
    setup(b) {
      const n = b >= 32 ? 1024 : 256;
      const a = tf.randomNormal([n, n]), c = tf.randomNormal([n, n]);
      return { run: () => tf.matMul(a, c), dispose: () => tf.dispose([a, c]) };
    },
  },
  {
    name: "attention bmm [b,64,128]x[b,128,64]",
    flops: (b) => 2 * b * 64 * 64 * 128,
    setup(b) {
      const q = tf.randomNormal([b, 64, 128]), k = tf.randomNormal([b, 64, 128]);
      return { run: () => tf.matMul(q, k, false, true), dispose: () => tf.dispose([q, k]) };
    },
  },
  {
    name: "groupNorm+SiLU 32x32x32",
    flops: (b) => 10 * b * 32 * 32 * 32,
    setup(b) {
      const x = tf.randomNormal([b, 32, 32, 32]) as tf.Tensor4D;
      const g = tf.ones([32]) as tf.Tensor1D, be = tf.zeros([32]) as tf.Tensor1D;
      return { run: () => groupNormSilu(x, g, be, 8), dispose: () => tf.dispose([x, g, be]) };
    },
  },
  {
    name: "add broadcast [b,32,32,32]+[b,1,1,32]",
    flops: (b) => b * 32 * 32 * 32,
    setup(b) {
      const x = tf.randomNormal([b, 32, 32, 32]), y = tf.randomNormal([b, 1, 1, 32]);
      return { run: () => tf.add(x, y), dispose: () => tf.dispose([x, y]) };
    },
  },
];

/** Median seconds of `reps` calls after one warm-up call. */
function timeIt(run: () => tf.Tensor | tf.Tensor[], reps: number): number {
  tf.dispose(run());
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const out = run();
    ts.push((performance.now() - t0) / 1000);
    tf.dispose(out);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)]!;
}

/** GFLOP/s per case on one backend. */
export async function runMicro(
  backend: "ort" | "cpu",
  batch: number,
  reps: number,
  threads: number,
): Promise<Record<string, number>> {
  await selectBackend(backend, { threads });
  const out: Record<string, number> = {};
  for (const c of MICRO_CASES) {
    const s = c.setup(batch);
    const secs = timeIt(s.run, reps);
    s.dispose();
    out[c.name] = c.flops(batch) / secs / 1e9;
  }
  return out;
}
