import assert from "node:assert/strict";
import { tf } from "../../src/tensor/tf.ts";
import { ParamStore } from "../../src/models/params.ts";
import { defaultAdamW, learningRateAt, makeAdamW } from "../../src/train/adamw.ts";
import { emaDecayAt, makeEma } from "../../src/train/ema.ts";

await tf.setBackend("cpu");

const store = (values: number[]) => {
  const p = new ParamStore(0);
  p.create("w", [values.length], { kind: "zeros" });
  p.get("w").assign(tf.tensor1d(values));
  return p;
};

Deno.test("makeAdamW() takes the textbook first step: θ − lr·sign(g) (bias-corrected)", async () => {
  const p = store([1, -2, 3]);
  const opt = makeAdamW(p, { ...defaultAdamW, lr: 0.1, gradClip: 0 });
  await opt.update({ w: tf.tensor1d([0.5, -4, 0]) });
  // step 1: m̂ = g, v̂ = g², so the step is lr·g/(|g| + ε) = ±lr (0 where g = 0)
  const w = Array.from(p.get("w").dataSync());
  assert.ok(
    Math.abs(w[0]! - 0.9) < 1e-6 && Math.abs(w[1]! - -1.9) < 1e-6 && Math.abs(w[2]! - 3) < 1e-6,
    String(w),
  );
});

Deno.test("makeAdamW() matches a hand computation over two steps with weight decay", async () => {
  const p = store([1]);
  const cfg = { ...defaultAdamW, lr: 0.01, weightDecay: 0.1, gradClip: 0 };
  const opt = makeAdamW(p, cfg);
  let theta = 1, m = 0, v = 0;
  for (const [t, g] of [[1, 2], [2, -1]] as const) {
    await opt.update({ w: tf.tensor1d([g]) });
    m = 0.9 * m + 0.1 * g;
    v = 0.999 * v + 0.001 * g * g;
    const mh = m / (1 - 0.9 ** t), vh = v / (1 - 0.999 ** t);
    theta = theta * (1 - cfg.lr * cfg.weightDecay) - cfg.lr * mh / (Math.sqrt(vh) + 1e-8);
  }
  assert.ok(Math.abs(p.get("w").dataSync()[0]! - theta) < 1e-6);
});

Deno.test("makeAdamW() clips the global gradient norm and reports the norm before clipping", async () => {
  const p = store([0, 0]);
  const opt = makeAdamW(p, { ...defaultAdamW, lr: 1, gradClip: 1, beta1: 0, beta2: 0 });
  const norm = await opt.update({ w: tf.tensor1d([3, 4]) });
  assert.ok(Math.abs(norm - 5) < 1e-6);
  // β1 = β2 = 0: step = g/|g| elementwise regardless of scale, so check the moments instead
  const state = await opt.exportState();
  const m = Array.from(state["m.w"]!.data as Float32Array);
  assert.ok(Math.abs(m[0]! - 0.6) < 1e-6 && Math.abs(m[1]! - 0.8) < 1e-6, `clipped moments ${m}`);
});

Deno.test("makeAdamW() state export/import continues identically", async () => {
  const a = store([1, 2]);
  const b = store([1, 2]);
  const optA = makeAdamW(a, defaultAdamW);
  const optB = makeAdamW(b, defaultAdamW);
  await optA.update({ w: tf.tensor1d([1, -1]) });
  b.get("w").assign(a.get("w"));
  optB.importState(await optA.exportState());
  await optA.update({ w: tf.tensor1d([0.3, 0.2]) });
  await optB.update({ w: tf.tensor1d([0.3, 0.2]) });
  assert.deepEqual(Array.from(a.get("w").dataSync()), Array.from(b.get("w").dataSync()));
  assert.equal(optB.step(), 2);
});

Deno.test("learningRateAt() warms up linearly then holds", () => {
  const cfg = { ...defaultAdamW, lr: 1, warmupSteps: 4 };
  assert.deepEqual([0, 1, 3, 10].map((s) => learningRateAt(cfg, s)), [0.25, 0.5, 1, 1]);
});

Deno.test("makeEma() blends with the warmed-up decay", () => {
  const p = store([0]);
  const ema = makeEma(p, 0.99);
  p.get("w").assign(tf.tensor1d([1]));
  ema.update(0); // decay min(0.99, 1/10) = 0.1
  assert.ok(Math.abs(ema.params.get("w").dataSync()[0]! - 0.9) < 1e-6);
  assert.equal(emaDecayAt(0.99, 1000), 0.99);
});

Deno.test("makeAdamW() refuses a non-finite gradient: no update, no step counted", async () => {
  const p = store([1, 2]);
  const opt = makeAdamW(p, defaultAdamW);
  const norm = await opt.update({ w: tf.tensor1d([NaN, 1]) });
  assert.ok(Number.isNaN(norm));
  assert.deepEqual(Array.from(p.get("w").dataSync()), [1, 2]);
  assert.equal(opt.step(), 0);
});
