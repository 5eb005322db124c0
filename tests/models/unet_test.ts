import assert from "node:assert/strict";
import { assertClose, gradCheck, paramGradCheck, randn, tf } from "./helpers.ts";
import {
  createUNet,
  declareResBlock,
  initUNet,
  resBlock,
  type UNetConfig,
  unetConfig,
  unetForward,
  unetSites,
  wrapUNet,
} from "../../src/models/unet.ts";
import { ParamStore } from "../../src/models/params.ts";

/** Tiny three-level UNet: 28 → 14 → 7. */
const tiny: Partial<UNetConfig> = {
  widths: [8, 16, 16],
  resBlocksPerLevel: 1,
  attentionLevels: [2],
  groups: 4,
  headDim: 8,
  timeEmbDim: 16,
  contextDim: 8,
  ffnMult: 2,
};

const t2 = () => tf.tensor1d([0, 999]);
const labels2 = () => tf.tensor1d([3, 10], "int32"); // 10 = the null class

Deno.test("unetForward() keeps the image shape at 28 and 32 px, with and without classes and transformer", () => {
  const variants: Partial<UNetConfig>[] = [
    {},
    { numClasses: 10 },
    { numClasses: 10, middle: "transformer", transformerLevels: [1], contextTokens: 2 },
    { middle: "transformer" }, // transformer without classes: cross-attention skipped
  ];
  for (const v of variants) {
    const m = createUNet({ ...tiny, ...v }, 1);
    for (const size of [28, 32]) {
      const x = randn([2, size, size, 1], size);
      const labels = v.numClasses === undefined ? undefined : labels2();
      const y = tf.tidy(() => m.forward(x as tf.Tensor4D, t2(), labels));
      assert.deepEqual(y.shape, [2, size, size, 1], JSON.stringify(v));
      assert.ok(Array.from(y.dataSync()).every(Number.isFinite));
      tf.dispose([x, y, ...(labels ? [labels] : [])]);
    }
    m.params.dispose();
  }
});

Deno.test("unetForward() handles 16 px with 3 channels and 2 levels, and rejects bad sizes", () => {
  const m = createUNet({ ...tiny, channels: 3, widths: [8, 16], attentionLevels: [1] }, 2);
  const y = tf.tidy(() => m.forward(randn([1, 16, 16, 3], 1) as tf.Tensor4D, tf.tensor1d([5])));
  assert.deepEqual(y.shape, [1, 16, 16, 3]);
  assert.throws(
    () => m.forward(tf.zeros([1, 15, 16, 3]) as tf.Tensor4D, tf.tensor1d([5])),
    /divisible by 2/,
  );
  assert.throws(
    () => m.forward(tf.zeros([1, 16, 16, 3]), tf.tensor1d([5]), tf.tensor1d([0], "int32")),
    /unconditional/,
  );
  assert.throws(
    () => unetConfig({ widths: [8, 12], groups: 8 }),
    /width 12 does not divide into 8 groups/,
  );
  assert.throws(() => unetConfig({ attentionLevels: [5] }), /level 5 does not exist/);
  y.dispose();
  m.params.dispose();
});

Deno.test("initUNet() parameter count matches a hand count for a tiny config", () => {
  const c = unetConfig({
    channels: 1,
    widths: [8],
    resBlocksPerLevel: 1,
    attentionLevels: [],
    middle: "none",
    groups: 4,
    timeEmbDim: 16,
  });
  // time MLP: (8·16 + 16) + (16·16 + 16) = 416; conv_in: 9·1·8 + 8 = 80
  // res(8 → 8): norm1 16 + conv1 584 + emb 136 + norm2 16 + conv2 584 = 1336
  // res(16 → 8): norm1 32 + conv1 1160 + emb 136 + norm2 16 + conv2 584 + skip 136 = 2064
  // units: down 1 × res(8,8), mid 2 × res(8,8), up 2 × res(16,8) (skip concatenated)
  // out: norm 16 + conv_out 9·8·1 + 1 = 89
  const base = 416 + 80 + 3 * 1336 + 2 * 2064 + 16 + 73;
  assert.equal(base, 8721);
  const p = initUNet(c);
  assert.equal(p.count(), base);
  p.dispose();
  // + classes (3 + null) with a middle transformer (dim 8, 2 heads, context 1 × 4, FFN ×2):
  // class_emb 4·16, context_emb 4·4;
  // transformer: norm 16, proj_in 72, ln1 16, SA (q,k,v 64 each, o 72) 264, ln2 16,
  //   CA (q 64, k 32, v 32, o 72) 200, ln3 16, ff1 144, ff2 136, proj_out 72 = 952
  const q = initUNet(
    unetConfig({
      ...c,
      numClasses: 3,
      middle: "transformer",
      headDim: 4,
      contextDim: 4,
      ffnMult: 2,
    }),
  );
  assert.equal(q.count(), base + 64 + 16 + 952);
  q.dispose();
});

Deno.test("resBlock() has correct gradients w.r.t. input and weights (finite differences)", () => {
  const p = new ParamStore(5);
  declareResBlock(p, "r", 4, 8, 6, false);
  const emb = randn([2, 6], 1);
  const x = randn([2, 3, 3, 4], 2);
  gradCheck((v) => resBlock(p, 2, "r", v as tf.Tensor4D, emb), x, { coords: 6 });
  const r = randn([2, 3, 3, 8], 3);
  const loss = () => tf.sum(tf.mul(resBlock(p, 2, "r", x as tf.Tensor4D, emb), r)) as tf.Scalar;
  for (const name of ["r.conv1.w", "r.norm1.gamma", "r.emb.w", "r.skip.w"]) {
    paramGradCheck(p, name, loss);
  }
  tf.dispose([emb, x, r]);
  p.dispose();
});

Deno.test("unetForward() gradient w.r.t. the input matches finite differences (whole tiny UNet)", () => {
  const c = unetConfig({
    ...tiny,
    widths: [4, 8],
    attentionLevels: [1],
    numClasses: 3,
    middle: "transformer",
    zeroInit: false,
    headDim: 4,
    contextDim: 4,
  });
  const p = initUNet(c, 9);
  const x = randn([2, 4, 4, 1], 3);
  const t = tf.tensor1d([10, 700]), y = tf.tensor1d([1, 3], "int32");
  gradCheck((v) => unetForward(c, p, v as tf.Tensor4D, t, y), x, { coords: 5, eps: 1e-2 });
  tf.dispose([x, t, y]);
  p.dispose();
});

Deno.test("export()/import() of UNet parameters restores identical outputs; clone() is independent", async () => {
  const cfg = { ...tiny, numClasses: 10, middle: "transformer" as const, zeroInit: false };
  const a = createUNet(cfg, 1), b = createUNet(cfg, 2);
  const x = randn([2, 28, 28, 1], 4) as tf.Tensor4D;
  const [t, y] = [t2(), labels2()];
  const ya = a.forward(x, t, y), yb0 = b.forward(x, t, y);
  assert.notDeepEqual(ya.dataSync(), yb0.dataSync());
  b.params.import(await a.params.export());
  const yb = b.forward(x, t, y);
  assert.deepEqual(yb.dataSync(), ya.dataSync());
  const c = a.clone();
  c.params.get("conv_out.b").assign(tf.onesLike(c.params.get("conv_out.b")));
  const yc = c.forward(x, t, y), ya2 = a.forward(x, t, y);
  assert.deepEqual(ya2.dataSync(), ya.dataSync());
  assert.notDeepEqual(yc.dataSync(), ya.dataSync());
  assert.equal(c.parameterCount(), a.parameterCount());
  tf.dispose([x, t, y, ya, yb0, yb, yc, ya2]);
  [a, b, c].forEach((m) => m.params.dispose());
});

Deno.test("unetForward() inside tf.tidy leaks no tensors", () => {
  const m = createUNet({ ...tiny, numClasses: 10, middle: "transformer" }, 1);
  const x = randn([2, 12, 12, 1], 5) as tf.Tensor4D;
  const [t, y] = [t2(), labels2()];
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    m.forward(x, t, y);
  });
  const out = tf.tidy(() => m.forward(x, t, y));
  assert.equal(tf.memory().numTensors, before + 1);
  out.dispose();
  // a training-style gradient step also cleans up after itself
  const { value, grads } = m.params.valueAndGrads(() => tf.mean(tf.square(m.forward(x, t, y))));
  tf.dispose([value, ...Object.values(grads)]);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, t, y]);
  m.params.dispose();
});

Deno.test("unetSites() lists each residual unit with its channels and transformer", () => {
  const sites = unetSites(unetConfig({ ...tiny, transformerLevels: [1], middle: "transformer" }));
  assert.deepEqual(sites.map((s) => s.name), [
    "down.0.0",
    "down.1.0",
    "down.2.0",
    "mid.0",
    "mid.1",
    "up.2.0",
    "up.2.1",
    "up.1.0",
    "up.1.1",
    "up.0.0",
    "up.0.1",
  ]);
  const up20 = sites.find((s) => s.name === "up.2.0")!;
  assert.equal(up20.resIn, 32); // 16 + 16 (skip)
  assert.equal(up20.resOut, 16);
  assert.deepEqual(sites.filter((s) => s.transformer !== null).map((s) => s.name), [
    "down.1.0",
    "mid.0",
    "up.1.0",
    "up.1.1",
  ]);
});

Deno.test("wrapUNet() over imported parameters behaves like the original", async () => {
  const m = createUNet(tiny, 3);
  const p = initUNet(m.config, 99);
  p.import(await m.params.export());
  const w = wrapUNet(m.config, p);
  const x = randn([1, 28, 28, 1], 6) as tf.Tensor4D;
  const t = tf.tensor1d([100]);
  assertClose(w.forward(x, t).dataSync(), m.forward(x, t).dataSync(), { rtol: 1e-5 }, "forward");
  m.params.dispose();
  p.dispose();
});
