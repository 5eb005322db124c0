/**
 * The Min-SNR study's smoke profile end to end (procedural shapes, no dataset needed): four arms
 * from one shared init, per-segment evaluations, the cross-arm report; then a full cache hit,
 * and a new γ that trains only its own arms.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, tempEnv, text } from "../core/helpers.ts";
import { runSmoke } from "./smoke.ts";

Deno.test("min-snr --profile smoke runs every arm, writes the report, re-runs from cache, and adds a γ without retraining", async () => {
  await using env = await tempEnv();
  const run = await runSmoke(env, "min-snr");
  const { dir, manifest: m } = run;
  assert.equal(m.arms.length, 4);
  assert.equal(
    m.stages.filter((s) => s.stage === "init-diffusion").length,
    1,
    "one shared initialisation",
  );
  assert.equal(m.stages.filter((s) => s.stage === "classifier").length, 1, "one shared classifier");
  const report = await Deno.readTextFile(join(dir, "artifacts", "min-snr-report", "report.md"));
  assert.match(report, /\| arm \| weighting \| threshold \| steps to reach/);
  assert.match(report, /## Verdict\n\n- /);
  for (const plot of ["fd_x0.png", "fd_eps.png", "weights_eps.png", "bins_eps_min-snr-5.svg"]) {
    assert.ok((await Deno.stat(join(dir, "artifacts", "min-snr-report", plot))).size > 0, plot);
  }
  const summary = await Deno.readTextFile(join(dir, "summary.md"));
  assert.match(summary, /\| target=eps,weighting=min-snr-5 \| eps \| min-snr-5 \| \d/);

  assert.match(await run.again(), /^0 ran, 36 cached/m);

  const withGamma10 = await run.again([
    "-p",
    'weighting=[{"strategy":"unweighted"},{"strategy":"min-snr","gamma":5},{"strategy":"min-snr","gamma":10}]',
  ]);
  const trained = withGamma10.split("\n").filter((l) => l.startsWith("✔ train-diffusion"));
  assert.equal(
    trained.length,
    4,
    `two targets × two segments of the new arm only:\n${trained.join("\n")}`,
  );
  assert.ok(trained.every((l) => l.includes("min-snr-10")));
});

Deno.test("min-snr-faces with a missing image folder is a plan error naming the folder; nothing runs", async () => {
  await using env = await tempEnv();
  const out = await cli([
    "run",
    "experiments/min-snr-faces.ts",
    "--store",
    env.store,
    "--results",
    env.results,
  ], {
    DIFFRUN_FACES: "/tmp/no-such-faces-folder",
  }).output();
  assert.equal(out.code, 2);
  assert.match(
    text(out.stderr),
    /cannot find the image-folder dataset; looked in:\n\s+- \/tmp\/no-such-faces-folder: does not exist/,
  );
  assert.equal(await Deno.stat(env.store).catch(() => null), null);
});
