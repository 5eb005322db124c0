/** Update ratios of the fake score (DMD 1:1, DMD2 5:1), as plans and as counted by the distiller. */
import assert from "node:assert/strict";
import { tf } from "../../src/tensor/tf.ts";
import { selectBackend } from "../../src/engine/backend.ts";
import { updateCounts, updatesOfStep } from "../../src/distill/updatePlan.ts";
import { makeDistiller } from "../../src/distill/distiller.ts";
import * as v from "valibot";
import { buildDenoiser, ModelSpecSchema } from "../../src/stages/models.ts";
import { makeSchedule } from "../../src/diffusion/schedules.ts";
import { makeRng } from "../../src/diffusion/rng.ts";

Deno.test("updatesOfStep() puts one generator update and `ratio` fake updates in each step", () => {
  assert.deepEqual(updatesOfStep(1), ["generator", "fake"]);
  assert.deepEqual(updatesOfStep(5), ["generator", "fake", "fake", "fake", "fake", "fake"]);
  assert.deepEqual(updatesOfStep(0), ["generator"]);
  assert.throws(() => updatesOfStep(-1), /non-negative integer/);
  assert.throws(() => updatesOfStep(1.5), /non-negative integer/);
});

Deno.test("updateCounts() over 400 steps is 400 generator and 400·ratio fake updates", () => {
  assert.deepEqual(updateCounts(400, 1), { generator: 400, fake: 400 });
  assert.deepEqual(updateCounts(400, 5), { generator: 400, fake: 2000 });
});

const spec = v.parse(ModelSpecSchema, {
  kind: "unet",
  widths: [8, 16],
  resBlocksPerLevel: 1,
  headDim: 8,
  middle: "none",
});
/** A tiny conditional UNet with every weight perturbed (the zero-initialised output layer and
 * class embedding would otherwise make the guided and unguided scores equal). */
const tiny = async (seed: number) => {
  const m = buildDenoiser(spec, { channels: 1, imageSize: 8, numClasses: 2 }, seed);
  const rng = makeRng(seed);
  const rec = await m.params.export();
  for (const p of Object.values(rec)) {
    const noise = rng.normal(p.data.length, 0, 0.1);
    p.data.forEach((x, i) => (p.data[i] = x + noise[i]!));
  }
  m.params.import(rec);
  return m;
};

const config = (ratio: number, guidance: number) => ({
  schedule: makeSchedule({ family: "cosine" }),
  target: "x0" as const,
  numClasses: 2,
  imageShape: [8, 8, 1] as const,
  batchSize: 2,
  guidance,
  matching: true,
  lambdaReg: 0,
  ratio,
  tRange: [0.02, 0.98] as const,
  seed: 0,
  generatorOpt: {
    lr: 1e-4,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    weightDecay: 0,
    warmupSteps: 0,
    gradClip: 1,
  },
  fakeOpt: {
    lr: 1e-4,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    weightDecay: 0,
    warmupSteps: 0,
    gradClip: 1,
  },
});

Deno.test("makeDistiller() runs 5 fake-score updates per generator step at ratio 5", async () => {
  await selectBackend("ort", {});
  const teacher = await tiny(1);
  const generator = teacher.clone(), fake = teacher.clone();
  const d = makeDistiller(
    { generator, fake, teacher, classifier: null, pairs: null },
    config(5, 2),
  );
  const before = tf.memory().numTensors;
  for (let i = 0; i < 2; i++) {
    const m = await d.step(i);
    assert.ok(Number.isFinite(m.loss) && Number.isFinite(m.fake), JSON.stringify(m));
  }
  assert.deepEqual(d.counts(), { generator: 2, fake: 10 });
  assert.equal(tf.memory().numTensors, before, "a step leaves no tensors behind");
  d.dispose();
  for (const m of [teacher, generator, fake]) m.params.dispose();
});

Deno.test("makeDistiller() at initialisation with an unguided real score has a zero DM loss (real = fake = teacher)", async () => {
  await selectBackend("ort", {});
  const teacher = await tiny(1);
  const generator = teacher.clone(), fake = teacher.clone();
  const d = makeDistiller(
    { generator, fake, teacher, classifier: null, pairs: null },
    config(1, 1),
  );
  assert.equal((await d.step(0)).dm, 0);
  // with guidance 2 the real score differs from the unguided fake one: a non-zero loss
  const g2 = makeDistiller(
    { generator: teacher.clone(), fake: teacher.clone(), teacher, classifier: null, pairs: null },
    config(1, 2),
  );
  assert.ok((await g2.step(0)).dm > 0);
  d.dispose();
  g2.dispose();
});

Deno.test("makeDistiller() refuses a fake-score ratio without matching and an empty objective", async () => {
  const teacher = await tiny(1);
  const base = { generator: teacher, fake: null, teacher, classifier: null, pairs: null };
  assert.throws(
    () => makeDistiller(base, { ...config(1, 1), matching: false, lambdaReg: 0 }),
    /nothing to train/,
  );
  assert.throws(
    () => makeDistiller(base, { ...config(1, 1), matching: true }),
    /needs a fake score/,
  );
  teacher.params.dispose();
});
