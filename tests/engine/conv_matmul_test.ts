import assert from "node:assert/strict";
import { tf } from "../../src/tensor/tf.ts";
import { nchwcBlockSize } from "../../src/engine/ort/kernels/nchwc.ts";
import { assertSame, randomArray } from "./helpers.ts";

type Pad = "same" | "valid";

interface ConvCase {
  n: number;
  h: number;
  w: number;
  c: number;
  k: number;
  f: number;
  s: number;
  pad: Pad;
}

// channel counts reach every path: transposes (3→5), NCHWc blocked (16→16), NCHWc with padded
// output channels (16→5), NCHWc from a single input channel (1→16)
const cases: ConvCase[] = [];
for (const [c, k] of [[3, 5], [16, 16], [16, 5], [1, 16]] as const) {
  for (const f of [1, 3]) {
    for (const s of [1, 2]) {
      for (const pad of ["same", "valid"] as Pad[]) {
        cases.push({ n: 2, h: 9, w: 8, c, k, f, s, pad });
      }
    }
  }
}
// images of 16×16 outputs or more: the filter gradient's copy-free path (same and valid padding,
// 1×1, non-square, unblocked channels) and its batched pixel-sum chunks
cases.push(
  { n: 2, h: 16, w: 16, c: 16, k: 16, f: 3, s: 1, pad: "same" },
  { n: 2, h: 18, w: 18, c: 16, k: 8, f: 3, s: 1, pad: "valid" },
  { n: 2, h: 16, w: 16, c: 8, k: 16, f: 1, s: 1, pad: "same" },
  { n: 1, h: 16, w: 20, c: 3, k: 5, f: 3, s: 1, pad: "same" },
);

Deno.test("conv2d() on ort matches cpu forward and gradients (strides 1/2, same/valid, 1×1/3×3)", async () => {
  let seed = 1;
  for (const k of cases) {
    const xs = randomArray(k.n * k.h * k.w * k.c, seed++);
    const ws = randomArray(k.f * k.f * k.c * k.k, seed++);
    const label = `conv ${JSON.stringify(k)}`;
    await assertSame(label, () => {
      const x = tf.tensor4d(xs, [k.n, k.h, k.w, k.c]);
      const w = tf.tensor4d(ws, [k.f, k.f, k.c, k.k]);
      const f = (a: tf.Tensor, b: tf.Tensor) =>
        tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, k.s, k.pad).square().sum();
      const [gx, gw] = tf.grads(f)([x, w]);
      return [tf.conv2d(x, w, k.s, k.pad), gx!, gw!];
    });
  }
});

Deno.test("the NCHWc convolution path is found on x86-64 (block 8 or 16)", () => {
  if (Deno.build.arch === "x86_64") assert.ok([8, 16].includes(nchwcBlockSize() ?? 0));
});

Deno.test("fused.conv2d() on ort matches cpu with bias and relu/sigmoid/linear", async () => {
  const xs = randomArray(2 * 8 * 8 * 16, 7), ws = randomArray(3 * 3 * 16 * 6, 8);
  const bs = randomArray(6, 9);
  for (const activation of ["linear", "relu", "sigmoid"] as const) {
    await assertSame(`fused conv ${activation}`, () => {
      const x = tf.tensor4d(xs, [2, 8, 8, 16]), w = tf.tensor4d(ws, [3, 3, 16, 6]);
      const bias = tf.tensor1d(bs);
      const y = tf.fused.conv2d({ x, filter: w, bias, strides: 1, pad: "same", activation });
      const [gx, gw, gb] = tf.grads((a, b, c) =>
        tf.fused.conv2d({
          x: a as tf.Tensor4D,
          filter: b as tf.Tensor4D,
          bias: c,
          strides: 1,
          pad: "same",
          activation,
        }).square().sum()
      )([x, w, bias]);
      return [y, gx!, gw!, gb!];
    });
  }
});

Deno.test("matMul() on ort matches cpu: plain, transposed, batched and broadcast, with gradients", async () => {
  const shapes: [number[], number[], boolean, boolean][] = [
    [[7, 5], [5, 3], false, false],
    [[5, 7], [5, 3], true, false],
    [[7, 5], [3, 5], false, true],
    [[5, 7], [3, 5], true, true],
    [[4, 7, 5], [4, 5, 3], false, false],
    [[4, 5, 7], [4, 3, 5], true, true],
  ];
  let seed = 100;
  for (const [sa, sb, ta, tb] of shapes) {
    const av = randomArray(sa.reduce((p, q) => p * q), seed++);
    const bv = randomArray(sb.reduce((p, q) => p * q), seed++);
    await assertSame(`matmul ${sa} ${sb} ${ta} ${tb}`, () => {
      const a = tf.tensor(av, sa), b = tf.tensor(bv, sb);
      const f = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, ta, tb).square().sum();
      const [ga, gb] = tf.grads(f)([a, b]);
      return [tf.matMul(a, b, ta, tb), ga!, gb!];
    });
  }
});

Deno.test("matMul() on ort broadcasts batch dimensions like cpu (forward; tfjs has no such gradient)", async () => {
  const av = randomArray(2 * 4 * 7 * 5, 11), bv = randomArray(4 * 5 * 6, 12);
  await assertSame("matmul broadcast", () => {
    return tf.matMul(tf.tensor(av, [2, 4, 7, 5]), tf.tensor(bv, [1, 4, 5, 6]));
  });
});

Deno.test("fused.matMul() on ort matches cpu with bias and activation", async () => {
  const av = randomArray(6 * 5, 1), bv = randomArray(5 * 4, 2), cv = randomArray(4, 3);
  for (const activation of ["linear", "relu", "elu", "leakyrelu", "relu6"] as const) {
    const worst = await assertSame(`fused matmul ${activation}`, () => {
      const a = tf.tensor2d(av, [6, 5]), b = tf.tensor2d(bv, [5, 4]), bias = tf.tensor1d(cv);
      return tf.fused.matMul({ a, b, bias, activation, transposeB: false });
    });
    assert.ok(worst < 1e-4);
  }
});
