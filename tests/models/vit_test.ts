import assert from "node:assert/strict";
import { gradCheck, randn, tf } from "./helpers.ts";
import {
  createViT,
  initViT,
  unpatchify,
  type ViTConfig,
  vitConfig,
  vitForward,
} from "../../src/models/vit.ts";

const tiny: Partial<ViTConfig> = {
  imageSize: 28,
  patchSize: 7,
  dim: 16,
  depth: 3,
  heads: 2,
  ffnMult: 2,
};

Deno.test("vitForward() keeps the image shape (28 and 16 px, with and without classes)", () => {
  for (const v of [{}, { numClasses: 10 }, { imageSize: 16, patchSize: 4, channels: 3 }]) {
    const m = createViT({ ...tiny, ...v }, 1);
    const s = m.config.imageSize, ch = m.config.channels;
    const x = randn([2, s, s, ch], 1) as tf.Tensor4D;
    const labels = m.config.numClasses > 0 ? tf.tensor1d([0, 10], "int32") : undefined;
    const before = tf.memory().numTensors;
    const y = tf.tidy(() => m.forward(x, tf.tensor1d([1, 900]), labels));
    assert.equal(tf.memory().numTensors, before + 1); // no leaks inside tidy
    assert.deepEqual(y.shape, [2, s, s, ch]);
    tf.dispose([x, y, ...(labels ? [labels] : [])]);
    m.params.dispose();
  }
  assert.throws(() => vitConfig({ depth: 4 }), /depth must be odd/);
  assert.throws(() => vitConfig({ imageSize: 28, patchSize: 5 }), /does not divide/);
});

Deno.test("initViT() parameter count matches a hand count", () => {
  const c = vitConfig({
    imageSize: 8,
    patchSize: 4,
    dim: 4,
    depth: 1,
    heads: 1,
    ffnMult: 2,
    numClasses: 2,
  });
  // patch conv 4·4·1·4 + 4 = 68; time MLP (4·16 + 16) + (16·4 + 4) = 148; class_emb 3·4 = 12;
  // pos_emb (2 + 4)·4 = 24; one layer: ln1 8 + SA (3·16 + 20) 68 + ln3 8 + ff1 40 + ff2 36 = 160;
  // final norm 8, proj 4·16 + 16 = 80, conv 9 + 1 = 10
  const p = initViT(c);
  assert.equal(p.count(), 68 + 148 + 12 + 24 + 160 + 8 + 80 + 10);
  p.dispose();
});

Deno.test("vitForward() gradient w.r.t. the input matches finite differences", () => {
  const c = vitConfig({
    imageSize: 4,
    patchSize: 2,
    dim: 8,
    depth: 3,
    heads: 2,
    ffnMult: 2,
    numClasses: 3,
    zeroInit: false,
  });
  const p = initViT(c, 4);
  const t = tf.tensor1d([5, 50]), y = tf.tensor1d([0, 3], "int32");
  gradCheck((v) => vitForward(c, p, v as tf.Tensor4D, t, y), randn([2, 4, 4, 1], 2), { coords: 5 });
  p.dispose();
});

Deno.test("unpatchify() inverts a P×P stride-P conv patch embedding with a one-hot kernel", () => {
  const [P, C, g] = [2, 3, 3];
  const k = new Float32Array(P * P * C * P * P * C);
  for (let i = 0; i < P * P * C; i++) k[i * P * P * C + i] = 1; // w[r, c, ch, (r·P + c)·C + ch] = 1
  const x = randn([2, g * P, g * P, C], 3) as tf.Tensor4D;
  const tokens = tf.reshape(tf.conv2d(x, tf.tensor4d(k, [P, P, C, P * P * C]), P, "valid"), [
    2,
    g * g,
    P * P * C,
  ]);
  assert.deepEqual(unpatchify(tokens, P, C).dataSync(), x.dataSync());
  tf.dispose([x, tokens]);
});
