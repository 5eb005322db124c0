import assert from "node:assert/strict";
import { tf } from "../../src/tensor/tf.ts";
import { makeSchedule } from "../../src/diffusion/schedules.ts";
import { qSample } from "../../src/diffusion/noising.ts";
import { makeRng } from "../../src/diffusion/rng.ts";
import { type HookSite, SiteHooks } from "../../src/models/hooks.ts";
import { createUNet, type UNetConfig } from "../../src/models/unet.ts";
import { adapterSites, validPairs } from "../../src/models/adapters.ts";
import {
  type HookedForward,
  measureSensitivity,
  type SensitivityBatch,
} from "../../src/studies/adapterSensitivity.ts";
import { outputProjectionRms } from "../../src/studies/adapterSensitivityStage.ts";

const schedule = makeSchedule({ family: "cosine" });
const rng = makeRng(3);
const [B, H, W, C] = [2, 4, 4, 1];
const n = B * H * W * C;
const batch: SensitivityBatch = {
  x0: tf.tensor4d(rng.normal(n), [B, H, W, C]),
  eps: tf.tensor4d(rng.normal(n), [B, H, W, C]),
  t: Int32Array.from([100, 600]),
  labels: undefined,
};
const options = {
  schedule,
  target: "eps" as const,
  perturbation: 0.1,
  raisedScale: 4,
  adapter: { activation: "silu" as const, rank: 2 },
  seed: 1,
};

/** out = c · h + 0 · r, with h read at Res_in and r = h read at Res_out: a site whose Res_out is multiplied by zero. */
const site: HookSite = { name: "s", level: 0, factor: 1, resIn: C, resOut: C, transformer: null };
const c = 3;
const toy: HookedForward = (x, _t, _y, hooks) => {
  const at = new SiteHooks(hooks, site);
  const h = at.at("Res_in", x);
  const r = at.at("Res_out", h);
  return tf.add(tf.mul(h, c), tf.mul(r, 0)) as tf.Tensor4D;
};

Deno.test("measureSensitivity() gives the closed-form ∂L/∂h at a scaled position and zero at one multiplied by zero", async () => {
  const s = await measureSensitivity(toy, {} as UNetConfig, [site], batch, {
    ...options,
    pairs: [],
  });
  const xt = qSample(batch.x0, batch.eps, batch.t, schedule);
  // L = mean((ε − c·x_t)²) → ∂L/∂δ at Res_in = −2c(ε − c·x_t)/n
  const expected = tf.tidy(() =>
    tf.norm(tf.mul(tf.sub(batch.eps, tf.mul(xt, c)), -2 * c / n)).dataSync()[0]!
  );
  const expectedLoss = tf.tidy(() =>
    tf.mean(tf.square(tf.sub(batch.eps, tf.mul(xt, c)))).dataSync()[0]!
  );
  const at = (p: string) => s.positions.find((r) => r.position === p)!;
  assert.deepEqual(s.positions.map((r) => r.position), ["Res_in", "Res_out"]);
  assert.ok(Math.abs(s.baseLoss - expectedLoss) < 1e-5 * expectedLoss);
  assert.ok(
    Math.abs(at("Res_in").gradNorm! - expected) < 1e-5 * expected,
    `${at("Res_in").gradNorm} vs ${expected}`,
  );
  assert.equal(at("Res_out").gradNorm, 0);
  assert.equal(at("Res_out").outputChange, 0);
  // the output is linear in the addition: Δ = c·u, RMS(Δ)/RMS(c·h) = 0.1 · RMS(u)/… > 0
  assert.ok(at("Res_in").outputChange! > 0.02 && at("Res_in").outputChange! < 0.2);
  const rmsXt = tf.tidy(() => Math.sqrt(tf.mean(tf.square(xt)).dataSync()[0]!));
  assert.ok(Math.abs(at("Res_in").activationRms - rmsXt) < 1e-5);
  xt.dispose();
});

/** A tiny conditional UNet with a transformer at level 1 and in the middle. */
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
  zeroInit: true,
};
const unetBatch = (): SensitivityBatch => ({
  x0: tf.tensor4d(rng.normal(2 * 8 * 8), [2, 8, 8, 1]),
  eps: tf.tensor4d(rng.normal(2 * 8 * 8), [2, 8, 8, 1]),
  t: Int32Array.from([50, 700]),
  labels: tf.tensor1d([0, 2], "int32"),
});

Deno.test("measureSensitivity() finds no gradient and no output change inside a transformer whose proj_out is zero", async () => {
  const model = createUNet(cfg, 5);
  // zeroInit: the ADM-style zero layers; give every one but the transformers' proj_out a value
  for (const name of model.params.names()) {
    const v = model.params.get(name);
    if (!name.endsWith("proj_out.w") && v.shape.length > 1) {
      v.assign(tf.mul(tf.randomNormal(v.shape, 0, 1, "float32", 7), 0.2));
    }
  }
  assert.ok((await outputProjectionRms(model.params)).some((w) => w.name.endsWith("proj_out.w")));
  for (const w of (await outputProjectionRms(model.params))) {
    if (w.name.endsWith("proj_out.w")) assert.equal(w.rms, 0, w.name);
    else assert.ok(w.rms > 0, w.name);
  }
  const config = model.config;
  const sites = adapterSites(config);
  const s = await measureSensitivity(
    (x, t, y, hooks) => model.forward(x, t, y, hooks === undefined ? {} : { hooks }),
    config,
    sites,
    unetBatch(),
    options,
  );
  assert.equal(s.positions.length, sites.length * 10);
  const inside = ["SA_in", "CA_in", "CA_c", "FFN_in", "Trans_out"];
  for (const r of s.positions) {
    if (r.gradNorm === null) {
      assert.ok(["SA_out", "CA_out", "FFN_out"].includes(r.position), r.position);
    } else if (inside.includes(r.position)) {
      assert.equal(r.gradNorm, 0, `${r.site}/${r.position}`);
      assert.equal(r.outputChange, 0, `${r.site}/${r.position}`);
    } else {
      assert.ok(r.gradNorm > 0 && r.outputChange! > 0, `${r.site}/${r.position}`);
    }
  }
  assert.equal(s.pairs.length, validPairs().length);
  for (const p of s.pairs) {
    const writesInside = inside.includes(p.output);
    assert.equal(p.gradNorm === 0, writesInside, `${p.input} → ${p.output}`);
    assert.equal(p.outputChange === 0, writesInside, `${p.input} → ${p.output}`);
  }
  // raising the scale of an adapter that does reach the output raises its effect
  const resRes = s.pairs.find((p) => p.input === "Res_out" && p.output === "Res_out")!;
  assert.ok(resRes.outputChangeRaised > 2 * resRes.outputChange);
  model.params.dispose();
});
