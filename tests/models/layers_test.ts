import assert from "node:assert/strict";
import { assertClose, gradCheck, randn, tf } from "./helpers.ts";
import {
  attention,
  conv2d,
  groupNorm,
  groupNormSilu,
  linear,
  timestepEmbedding,
  upsample2x,
} from "../../src/models/layers.ts";

Deno.test("groupNorm() matches a loop reference", () => {
  const [B, H, W, C, G] = [2, 3, 2, 6, 3];
  const x = randn([B, H, W, C], 1, 2);
  const gamma = randn([C], 2), beta = randn([C], 3);
  const y = groupNorm(x, gamma as tf.Tensor1D, beta as tf.Tensor1D, G).dataSync();
  const xd = x.dataSync(), gd = gamma.dataSync(), bd = beta.dataSync();
  const expected = new Float32Array(xd.length);
  const cg = C / G;
  for (let b = 0; b < B; b++) {
    for (let g = 0; g < G; g++) {
      const idx: number[] = [];
      for (let s = 0; s < H * W; s++) {
        for (let j = 0; j < cg; j++) idx.push(b * H * W * C + s * C + g * cg + j);
      }
      const mean = idx.reduce((a, i) => a + xd[i]!, 0) / idx.length;
      const v = idx.reduce((a, i) => a + (xd[i]! - mean) ** 2, 0) / idx.length;
      for (const i of idx) {
        const c = i % C;
        expected[i] = (xd[i]! - mean) / Math.sqrt(v + 1e-5) * gd[c]! + bd[c]!;
      }
    }
  }
  assertClose(y, expected, { atol: 1e-4, rtol: 1e-5 }, "groupNorm");
  tf.dispose([x, gamma, beta]);
});

Deno.test("groupNorm() and groupNormSilu() have correct gradients (finite differences)", () => {
  const x = randn([2, 3, 3, 4], 4);
  const gamma = randn([4], 5), beta = randn([4], 6);
  gradCheck((v) => groupNorm(v, gamma as tf.Tensor1D, beta as tf.Tensor1D, 2), x);
  gradCheck((v) => groupNormSilu(v, gamma as tf.Tensor1D, beta as tf.Tensor1D, 2), x, { seed: 11 });
  gradCheck((g) => groupNorm(x, g as tf.Tensor1D, beta as tf.Tensor1D, 2), gamma, { coords: 4 });
  tf.dispose([x, gamma, beta]);
});

Deno.test("groupNorm() works on tokens [B, N, C]", () => {
  const x = randn([2, 5, 4], 7);
  const y = groupNorm(x, tf.ones([4]) as tf.Tensor1D, tf.zeros([4]) as tf.Tensor1D, 1);
  assert.deepEqual(y.shape, [2, 5, 4]);
  const m = tf.mean(y, [1, 2]).dataSync();
  assertClose(m, [0, 0], { atol: 1e-5, rtol: 1e-5 }, "mean");
  tf.dispose([x, y]);
});

Deno.test("upsample2x() duplicates pixels and its gradient sums 2×2 blocks (batch > 1)", () => {
  const [B, H, W, C] = [3, 2, 3, 2];
  const x = randn([B, H, W, C], 8);
  const y = upsample2x(x as tf.Tensor4D);
  assert.deepEqual(y.shape, [B, 2 * H, 2 * W, C]);
  const xd = x.dataSync(), yd = y.dataSync();
  const at = (b: number, i: number, j: number, c: number, h: number, w: number) =>
    ((b * h + i) * w + j) * C + c;
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < 2 * H; i++) {
      for (let j = 0; j < 2 * W; j++) {
        for (let c = 0; c < C; c++) {
          assert.equal(yd[at(b, i, j, c, 2 * H, 2 * W)], xd[at(b, i >> 1, j >> 1, c, H, W)]);
        }
      }
    }
  }
  const r = randn([B, 2 * H, 2 * W, C], 9);
  const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(upsample2x(v as tf.Tensor4D), r)))(x)
    .dataSync();
  const rd = r.dataSync();
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        for (let c = 0; c < C; c++) {
          let s = 0;
          for (const [di, dj] of [[0, 0], [0, 1], [1, 0], [1, 1]] as const) {
            s += rd[at(b, 2 * i + di, 2 * j + dj, c, 2 * H, 2 * W)]!;
          }
          assert.ok(Math.abs(g[at(b, i, j, c, H, W)]! - s) < 1e-5);
        }
      }
    }
  }
  tf.dispose([x, y, r]);
});

Deno.test("attention() matches a loop reference and has correct gradients", () => {
  const [B, Nq, Nk, D, heads] = [2, 3, 4, 4, 2];
  const q = randn([B, Nq, D], 10), k = randn([B, Nk, D], 11), v = randn([B, Nk, D], 12);
  const y = attention(q, k, v, heads);
  assert.deepEqual(y.shape, [B, Nq, D]);
  const [qd, kd, vd, yd] = [q.dataSync(), k.dataSync(), v.dataSync(), y.dataSync()];
  const dh = D / heads;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < Nq; i++) {
        const s = Array.from({ length: Nk }, (_, j) => {
          let dot = 0;
          for (let d = 0; d < dh; d++) {
            dot += qd[(b * Nq + i) * D + h * dh + d]! * kd[(b * Nk + j) * D + h * dh + d]!;
          }
          return dot / Math.sqrt(dh);
        });
        const m = Math.max(...s);
        const e = s.map((z) => Math.exp(z - m));
        const z = e.reduce((a, c) => a + c, 0);
        for (let d = 0; d < dh; d++) {
          let o = 0;
          for (let j = 0; j < Nk; j++) o += e[j]! / z * vd[(b * Nk + j) * D + h * dh + d]!;
          assert.ok(Math.abs(yd[(b * Nq + i) * D + h * dh + d]! - o) < 1e-5);
        }
      }
    }
  }
  gradCheck((x) => attention(x, k, v, heads), q);
  gradCheck((x) => attention(q, x, v, heads), k, { seed: 21 });
  gradCheck((x) => attention(q, k, x, heads), v, { seed: 31 });
  tf.dispose([q, k, v, y]);
});

Deno.test("conv2d() keeps size at stride 1 and halves (rounding up) at stride 2", () => {
  const w = randn([3, 3, 2, 5], 13) as tf.Tensor4D;
  for (const [s, out] of [[28, 14], [7, 4], [32, 16]] as const) {
    const x = randn([1, s, s, 2], 14) as tf.Tensor4D;
    assert.deepEqual(conv2d(x, w, null, 1).shape, [1, s, s, 5]);
    assert.deepEqual(conv2d(x, w, null, 2).shape, [1, out, out, 5]);
    x.dispose();
  }
  const x = randn([2, 4, 3], 15);
  assert.deepEqual(linear(x, randn([3, 6], 16) as tf.Tensor2D, null).shape, [2, 4, 6]);
  tf.dispose([w, x]);
});

Deno.test("timestepEmbedding() is [cos(t f), sin(t f)] with geometric frequencies", () => {
  const e = timestepEmbedding(tf.tensor1d([0, 10]), 8).arraySync() as number[][];
  assertClose(e[0]!, [1, 1, 1, 1, 0, 0, 0, 0], { atol: 1e-6, rtol: 1e-5 }, "t = 0");
  const f = [0, 1, 2, 3].map((i) => Math.exp(-Math.log(10000) * i / 4));
  assertClose(
    e[1]!,
    [...f.map((x) => Math.cos(10 * x)), ...f.map((x) => Math.sin(10 * x))],
    { atol: 1e-5, rtol: 1e-5 },
    "t = 10",
  );
  assert.throws(() => timestepEmbedding(tf.tensor1d([1]), 7), /even/);
});
