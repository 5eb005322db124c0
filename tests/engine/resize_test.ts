import assert from "node:assert/strict";
import { tf } from "../../src/tensor/tf.ts";
import { selectBackend } from "../../src/engine/backend.ts";
import { kernelCounts } from "../../src/engine/ort/kernels/util.ts";
import { assertSame, everythingOnOrt, randomArray, relError } from "./helpers.ts";

/** Plain-loop reference: dx[b, i, j, c] = Σ dy[b, r, s, c] over r, s with ⌊r·H/R⌋ = i, ⌊s·W/S⌋ = j. */
function referenceGrad(
  dy: Float32Array,
  n: number,
  h: number,
  w: number,
  c: number,
  oh: number,
  ow: number,
) {
  const dx = new Float32Array(n * h * w * c);
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      for (let s = 0; s < ow; s++) {
        const i = Math.min(h - 1, Math.floor((r * h) / oh));
        const j = Math.min(w - 1, Math.floor((s * w) / ow));
        for (let k = 0; k < c; k++) {
          dx[((b * h + i) * w + j) * c + k]! += dy[((b * oh + r) * ow + s) * c + k]!;
        }
      }
    }
  }
  return dx;
}

async function gradOf(
  backend: "cpu" | "ort",
  xs: Float32Array,
  shape: number[],
  size: [number, number],
  dyv: Float32Array,
) {
  await selectBackend(backend);
  return everythingOnOrt(() =>
    tf.tidy(() => {
      const x = tf.tensor4d(xs, shape as [number, number, number, number]);
      const dy = tf.tensor4d(dyv, [shape[0]!, size[0], size[1], shape[3]!]);
      const g = tf.grad((t: tf.Tensor) =>
        tf.image.resizeNearestNeighbor(t as tf.Tensor4D, size).mul(dy).sum()
      )(x);
      return Float32Array.from(g.dataSync());
    })
  );
}

Deno.test("resizeNearestNeighbor gradient is right for batch > 1 on cpu and ort (tfjs 4.22 bug)", async () => {
  const cases: { shape: number[]; size: [number, number] }[] = [
    { shape: [3, 4, 5, 2], size: [8, 10] }, // the UNet's 2× upsampling
    { shape: [2, 3, 4, 3], size: [9, 8] }, // 3× by 2×
    { shape: [2, 5, 4, 1], size: [7, 6] }, // non-integer: JS kernel on ort too
  ];
  for (const { shape, size } of cases) {
    const [n, h, w, c] = shape as [number, number, number, number];
    const xs = randomArray(n * h * w * c, 1);
    const dyv = randomArray(n * size[0] * size[1] * c, 2);
    const ref = referenceGrad(dyv, n, h, w, c, size[0], size[1]);
    for (const backend of ["cpu", "ort"] as const) {
      const got = await gradOf(backend, xs, shape, size, dyv);
      const e = relError(got, ref);
      assert.ok(e < 1e-6, `${backend} ${shape}→${size}: relative error ${e}`);
    }
  }
  assert.ok((kernelCounts.get("ResizeNearestNeighborGrad")?.ort ?? 0) >= 2);
});

Deno.test("resizeNearestNeighbor forward on ort matches cpu (integer factors on ORT, others in JS)", async () => {
  for (const [shape, size] of [[[2, 4, 5, 3], [8, 10]], [[2, 4, 5, 3], [6, 7]]] as const) {
    const xs = randomArray(shape.reduce((p, q) => p * q, 1), 3);
    await assertSame(
      `resize ${shape}→${size}`,
      () => tf.image.resizeNearestNeighbor(tf.tensor4d(xs, [...shape]), [...size]),
    );
  }
  assert.ok((kernelCounts.get("ResizeNearestNeighbor")?.ort ?? 0) >= 1);
});

Deno.test("resizeNearestNeighbor with half-pixel centers and align-corners matches cpu, with gradients", async () => {
  const xs = randomArray(2 * 4 * 5 * 3, 4);
  for (const [align, half] of [[false, true], [true, false]] as const) {
    await assertSame(`resize align=${align} half=${half}`, () => {
      const x = tf.tensor4d(xs, [2, 4, 5, 3]);
      const f = (t: tf.Tensor) =>
        tf.image.resizeNearestNeighbor(t as tf.Tensor4D, [8, 10], align, half).square().sum();
      return [tf.image.resizeNearestNeighbor(x, [8, 10], align, half), tf.grad(f)(x)];
    });
  }
});
