/**
 * The adapter study's smoke profile end to end (procedural shapes, no dataset needed): the valid
 * pairs of a 3 × 2 input × output grid tuned from one shared base, both baselines once, the
 * report; then a full cache hit, a new scale that tunes only its own arms, and an invalid pair
 * rejected at plan time naming the pair.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, tempEnv, text } from "../core/helpers.ts";
import { runSmoke } from "./smoke.ts";
import { decodeSafetensors } from "../../src/tensor/safetensors.ts";

Deno.test("adapters --profile smoke tunes every valid pair from one base, writes the report, re-runs from cache, and adds a scale without retraining", async () => {
  await using env = await tempEnv();
  const run = await runSmoke(env, "adapters");
  const { dir, manifest: m } = run;
  const count = (stage: string) => m.stages.filter((s) => s.stage === stage).length;
  assert.equal(count("train-diffusion"), 1, "one shared pretrained base");
  // 3 inputs × 2 outputs: CA_out → Res_out and SA_in → Res_out are invalid and skipped
  assert.equal(count("adapter-tune"), 4 + 2, "four adapter arms and the two baselines");
  assert.equal(count("adapter-eval"), 6);
  assert.equal(count("adapter-sensitivity"), 1, "one sensitivity measurement for every arm");
  const report = join(dir, "artifacts", "adapter-report");
  const md = await Deno.readTextFile(join(report, "report.md"));
  assert.match(md, /4 adapter arms/);
  assert.match(
    md,
    /## Verdict\n\n.*\n\n- Design check .*\n- (Reproduced|Contradicted|Inconclusive)/,
  );
  assert.match(md, /\| rank \| input \| output \| activation \| scale \|/);
  const tables = JSON.parse(await Deno.readTextFile(join(report, "tables.json")));
  const ids = tables.tables.map((t: { id: string }) => t.id);
  for (
    const id of [
      "anova",
      "anova-one-way",
      "top10",
      "fd",
      "sensitivity-positions",
      "sensitivity-pairs",
      "sensitivity-weights",
    ]
  ) assert.ok(ids.includes(id), id);
  // the smoke base (zeroInit: false) lets every written position reach the output
  const positions = tables.tables.find((t: { id: string }) => t.id === "sensitivity-positions");
  assert.equal(positions.rows.length, 10, "ten positions of the one transformer site");
  for (const [site, position, read, grad, change] of positions.rows) {
    assert.ok(read > 0, `${site}/${position} reads a signal`);
    if (grad !== null) assert.ok(grad > 0 && change > 0, `${site}/${position} reaches the output`);
  }
  const pairs = tables.tables.find((t: { id: string }) => t.id === "sensitivity-pairs");
  assert.equal(pairs.rows.length, 28, "every valid pair");
  assert.match(md, /## Sensitivity of each adapter placement at step 0/);
  const top10 = tables.tables.find((t: { id: string }) => t.id === "top10");
  assert.equal(top10.rows.length, 4);
  for (
    const f of [
      "heatmap.png",
      "heatmap.svg",
      "by_activation.png",
      "by_scale.svg",
      "diff_CA_out.png",
      "sensitivity.png",
      "sensitivity.svg",
    ]
  ) {
    assert.ok((await Deno.stat(join(report, f))).size > 0, f);
  }
  // the stored adapter arm holds adapter weights only
  const armDir = [...Deno.readDirSync(join(dir, "artifacts"))].map((e) => e.name).find((n) =>
    n.startsWith("adapter-tune") && n.includes("input=CA_out,output=FFN_in")
  )!;
  const weights = decodeSafetensors(
    await Deno.readFile(join(dir, "artifacts", armDir, "params.safetensors")),
    armDir,
  );
  assert.ok(Object.keys(weights).length > 0);
  assert.ok(
    Object.keys(weights).every((k) => k.startsWith("adapter.mid.0.")),
    Object.keys(weights).join(),
  );

  assert.match(await run.again(), /^0 ran, \d+ cached/m);

  const withScale2 = await run.again(["-p", "scale=[1,2]"]);
  const tunedNow = withScale2.split("\n").filter((l) => l.startsWith("✔ adapter-tune"));
  assert.equal(tunedNow.length, 4, `only the four new arms tune:\n${tunedNow.join("\n")}`);
  assert.ok(tunedNow.every((l) => l.includes("scale=2")), tunedNow.join("\n"));
  assert.equal(
    withScale2.split("\n").filter((l) => l.startsWith("✔ train-diffusion")).length,
    0,
    "the base is not retrained",
  );
  assert.ok(
    !withScale2.includes("✔ adapter-sensitivity"),
    "the sensitivity of the shared base is not measured again",
  );
});

Deno.test("adapters with an invalid pair and invalidPairs reject is a plan error naming the pair; nothing runs", async () => {
  await using env = await tempEnv();
  const out = await cli([
    "run",
    "experiments/adapters.ts",
    "--profile",
    "smoke",
    "-p",
    "invalidPairs=reject",
    "--store",
    env.store,
    "--results",
    env.results,
  ]).output();
  assert.equal(out.code, 2);
  assert.match(
    text(out.stderr),
    /invalid adapter pair CA_out → Res_out: output position Res_out comes before input position CA_out/,
  );
  assert.equal(await Deno.stat(env.store).catch(() => null), null);
});

Deno.test("adapters --profile concept-smoke pretrains without the concept class and reports recognition and the new-token difference", async () => {
  await using env = await tempEnv();
  const out = await cli([
    "run",
    "experiments/adapters.ts",
    "--profile",
    "concept-smoke",
    "--store",
    env.store,
    "--results",
    env.results,
  ]).output();
  assert.equal(out.code, 0, text(out.stderr) + text(out.stdout));
  const dir = join(
    env.results,
    "adapters",
    [...Deno.readDirSync(join(env.results, "adapters"))][0]!.name,
  );
  const logs = [...Deno.readDirSync(join(dir, "logs"))].map((e) => e.name).filter((n) =>
    n.startsWith("adapter-concept-data")
  );
  const text2 = logs.map((n) => Deno.readTextFileSync(join(dir, "logs", n))).join("\n");
  assert.match(text2, /without class 2: \d+ train/, "the base's data lack the concept");
  assert.match(text2, /4 images of class 2 ×\d+ \+ 16 prior/, "few shots plus prior preservation");
  const report = join(dir, "artifacts", "adapter-report");
  const md = await Deno.readTextFile(join(report, "report.md"));
  assert.match(md, /## Noise-prediction difference with and without the new token/);
  const tables = JSON.parse(await Deno.readTextFile(join(report, "tables.json")));
  const fd = tables.tables.find((t: { id: string }) => t.id === "fd");
  assert.deepEqual(fd.columns, ["arm", "target MSE", "FD-clf", "recognised as their label"]);
  for (const row of fd.rows) assert.ok(row[3] >= 0 && row[3] <= 1);
});
