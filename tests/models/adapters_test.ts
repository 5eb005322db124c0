import assert from "node:assert/strict";
import { randn, tf } from "./helpers.ts";
import {
  adapterForm,
  adapterHooks,
  adapterSites,
  type AdapterSpec,
  assertValidPair,
  initAdapters,
  InvalidAdapterPair,
  positionWidth,
  validPairs,
} from "../../src/models/adapters.ts";
import { INPUT_POSITIONS } from "../../src/models/hooks.ts";
import { createUNet, type UNetConfig } from "../../src/models/unet.ts";
import { makeAdamW } from "../../src/train/adamw.ts";

/** Conditional tiny UNet (8 px: 8 → 4) with transformer blocks at level 1 and in the middle. */
const cfg: Partial<UNetConfig> = {
  widths: [8, 16],
  resBlocksPerLevel: 1,
  attentionLevels: [],
  transformerLevels: [1],
  middle: "transformer",
  groups: 4,
  headDim: 8,
  timeEmbDim: 16,
  numClasses: 3,
  contextTokens: 1,
  contextDim: 8,
  ffnMult: 2,
  zeroInit: false,
};
const model = createUNet(cfg, 5);
const config = model.config;
const x = randn([2, 8, 8, 1], 2) as tf.Tensor4D;
const t = tf.tensor1d([50, 700]);
const y = tf.tensor1d([0, 2], "int32");

const spec = (input: AdapterSpec["input"], output: AdapterSpec["output"]): AdapterSpec => ({
  input,
  output,
  activation: "silu",
  scale: 1,
  rank: 3,
});

Deno.test("validPairs() lists the 28 valid placements, each accepted by assertValidPair()", () => {
  const pairs = validPairs();
  assert.equal(pairs.length, 28);
  for (const p of pairs) assert.equal(assertValidPair(p.input, p.output), p.output);
  assert.ok(pairs.some((p) => p.input === "CA_out" && p.output === "FFN_in"));
  assert.ok(pairs.every((p) => (p.input === "CA_c") === (p.output === "CA_c")));
});

Deno.test("assertValidPair() throws InvalidAdapterPair naming the pair and the reason", () => {
  assert.throws(() => assertValidPair("FFN_in", "SA_in"), (e: unknown) => {
    assert.ok(e instanceof InvalidAdapterPair);
    assert.match(
      e.message,
      /FFN_in → SA_in: output position SA_in comes before input position FFN_in/,
    );
    return true;
  });
  assert.throws(
    () => assertValidPair("CA_c", "FFN_in"),
    /CA_c → FFN_in: CA_c pairs only with itself/,
  );
  assert.throws(() => initAdapters(config, spec("Trans_out", "Res_in"), 0), InvalidAdapterPair);
});

Deno.test("adapterForm() reads feature maps with the residual form, tokens with the linear one", () => {
  const forms = INPUT_POSITIONS.map((p) => adapterForm(p));
  assert.deepEqual(forms.filter((f) => f === "residual").length, 2);
  assert.equal(adapterForm("Res_in"), "residual");
  assert.equal(adapterForm("CA_c"), "transformer");
});

Deno.test("initAdapters() declares per transformer site the closed-form parameter count", () => {
  const sites = adapterSites(config);
  assert.deepEqual(sites.map((s) => s.name), ["down.1.0", "mid.0", "up.1.0", "up.1.1"]);
  const r = 3;
  // transformer form: Linear(d→r) + Linear(r→d) = d·r + r + r·d + d
  const lin = initAdapters(config, spec("CA_out", "FFN_in"), 0);
  const expectLin = sites.reduce((n, s) => n + s.resOut * r + r + r * s.resOut + s.resOut, 0);
  assert.equal(lin.count(), expectLin);
  // residual form: GroupNorm(C_in) + conv3×3(C_in→r) + conv3×3(r→C_out)
  const res = initAdapters(config, spec("Res_in", "Res_out"), 0);
  const expectRes = sites.reduce((n, s) => {
    const cin = positionWidth(s, "Res_in"), cout = positionWidth(s, "Res_out");
    return n + 2 * cin + 9 * cin * r + r + 9 * r * cout + cout;
  }, 0);
  assert.equal(res.count(), expectRes);
  // CA_c → CA_c maps the condition tokens (width contextDim)
  const ctx = initAdapters(config, spec("CA_c", "CA_c"), 0);
  assert.equal(ctx.count(), sites.length * (8 * r + r + r * 8 + 8));
  // up-sampling path sites read the concatenated skip at Res_in
  assert.equal(positionWidth(sites[2]!, "Res_in"), 32);
  for (const s of [lin, res, ctx]) s.dispose();
});

Deno.test("adapterHooks() changes the output at init (up-projection not zero) for every valid pair", () => {
  const base = model.forward(x, t, y);
  for (const p of validPairs()) {
    const store = initAdapters(config, spec(p.input, p.output), 1);
    const d = tf.tidy(() => {
      const out = model.forward(x, t, y, {
        hooks: adapterHooks(store, config, spec(p.input, p.output)),
      });
      return tf.max(tf.abs(tf.sub(out, base))).dataSync()[0]!;
    });
    assert.ok(d > 1e-6, `${p.input} → ${p.output}: ${d}`);
    store.dispose();
  }
  base.dispose();
});

Deno.test("adapterHooks() passes the scale and computes up(act(down(read))) with the stored weights", () => {
  const site = adapterSites(config)[1]!; // mid.0, width 16
  const read = randn([2, 4, 16], 9);
  const w = (n: string) => store.get(`adapter.mid.0.${n}`);
  const s0 = { ...spec("SA_in", "CA_in"), scale: 2 };
  const store = initAdapters(config, s0, 3);
  for (const act of ["identity", "relu", "sigmoid", "silu"] as const) {
    const a = adapterHooks(store, config, { ...s0, activation: act }).adapters![0]!;
    assert.equal(a.scale, 2);
    const [got, want] = tf.tidy(() => {
      const h = tf.add(tf.matMul(tf.reshape(read, [8, 16]), w("down.w")), w("down.b")); // [8, r]
      const g = act === "identity"
        ? h
        : act === "relu"
        ? tf.maximum(h, 0)
        : act === "sigmoid"
        ? tf.div(1, tf.add(1, tf.exp(tf.neg(h))))
        : tf.div(h, tf.add(1, tf.exp(tf.neg(h))));
      const out = tf.add(tf.matMul(g, w("up.w")), w("up.b")); // [8, 16]
      return [
        Array.from(tf.reshape(a.fn(read, site), [8, 16]).dataSync()),
        Array.from(out.dataSync()),
      ];
    });
    got!.forEach((v, i) => assert.ok(Math.abs(v - want![i]!) < 1e-5, `${act} [${i}]`));
  }
  store.dispose();
});

Deno.test("tuning an adapter over a frozen base: base weights bit-identical, only adapter weights in the optimiser", async () => {
  const before = await model.params.export();
  const s = spec("CA_out", "FFN_in");
  const store = initAdapters(config, s, 7);
  const adapterBefore = await store.export();
  const hooks = adapterHooks(store, config, s);
  model.params.freeze(() => true);
  const opt = makeAdamW(store, {
    lr: 1e-2,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    weightDecay: 0,
    warmupSteps: 0,
    gradClip: 1,
  });
  const losses: number[] = [];
  for (let i = 0; i < 5; i++) {
    const { value, grads } = store.valueAndGrads(() =>
      tf.mean(tf.square(tf.sub(model.forward(x, t, y, { hooks }), x))) as tf.Scalar
    );
    assert.deepEqual(Object.keys(grads).sort(), store.names().sort(), "no base gradients");
    losses.push(value.dataSync()[0]!);
    await opt.update(grads);
    tf.dispose([value, ...Object.values(grads)]);
  }
  model.params.unfreeze(() => true);
  const state = Object.keys(await opt.exportState()).filter((k) => k !== "adamw.step");
  assert.ok(state.length > 0 && state.every((k) => /^[mv]\.adapter\./.test(k)), state.join(","));
  const after = await model.params.export();
  for (const name of Object.keys(before)) {
    assert.deepEqual(after[name]!.data, before[name]!.data, `base weight ${name} changed`);
  }
  const adapterAfter = await store.export();
  assert.ok(
    Object.keys(adapterBefore).some((n) =>
      adapterAfter[n]!.data.some((v, i) => v !== adapterBefore[n]!.data[i])
    ),
    "the adapter trained",
  );
  assert.ok(losses.at(-1)! < losses[0]!, `loss fell: ${losses.join(", ")}`);
  opt.dispose();
  store.dispose();
});
