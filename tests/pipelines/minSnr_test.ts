/**
 * The Min-SNR study's smoke profile end to end (procedural shapes, no dataset needed): four arms
 * from one shared init, per-segment evaluations, the cross-arm report; then a full cache hit,
 * and a new γ that trains only its own arms.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, tempEnv, text } from "../core/helpers.ts";
import { readManifest } from "../../src/core/runDir.ts";

Deno.test("min-snr --profile smoke runs every arm, writes the report, re-runs from cache, and adds a γ without retraining", async () => {
  const env = await tempEnv();
  const base = [
    "run",
    "experiments/min-snr.ts",
    "--profile",
    "smoke",
    "--store",
    env.store,
    "--results",
    env.results,
  ];
  const first = await cli(base).output();
  assert.equal(first.code, 0, text(first.stderr) + text(first.stdout));
  const runs = () =>
    [...Deno.readDirSync(join(env.results, "min-snr"))].map((d) =>
      join(env.results, "min-snr", d.name)
    ).sort();
  const dir = runs()[0]!;
  const m = await readManifest(dir);
  assert.equal(m.arms.length, 8, "four arms × two seeds");
  assert.equal(
    m.stages.filter((s) => s.stage === "init-diffusion").length,
    2,
    "one initialisation per seed, shared by the arms",
  );
  assert.equal(m.stages.filter((s) => s.stage === "classifier").length, 1, "one shared classifier");
  const report = await Deno.readTextFile(join(dir, "artifacts", "min-snr-report", "report.md"));
  assert.match(report, /\| arm \| weighting \| n \| reached \| steps to reach/);
  assert.match(report, /\| x0\/min-snr-5 \| x0 · min-snr-5 \| 2 \| \d of 2 \|/);
  assert.match(
    report,
    /## Verdict\n\n.*\n\n- (Reproduced|Contradicted|Inconclusive): .*n = 2 seeds/,
  );
  const tables = JSON.parse(
    await Deno.readTextFile(join(dir, "artifacts", "min-snr-report", "tables.json")),
  );
  const finalFd = tables.tables[0].rows[0].at(-1);
  assert.equal(finalFd.n, 2, "the final FD-clf cell aggregates two seeds");
  assert.deepEqual(finalFd.seeds, [0, 1]);
  assert.equal(finalFd.values.length, 2);
  assert.match(
    await Deno.readTextFile(join(dir, "artifacts", "min-snr-report", "fd_x0.svg")),
    /data-band="x0 · min-snr-5"/,
  );
  for (const plot of ["fd_x0.png", "fd_eps.png", "weights_eps.png", "bins_eps_min-snr-5.svg"]) {
    assert.ok((await Deno.stat(join(dir, "artifacts", "min-snr-report", plot))).size > 0, plot);
  }
  const summary = await Deno.readTextFile(join(dir, "summary.md"));
  assert.match(summary, /\| target=eps,weighting=min-snr-5\/seed=1 \| eps \| min-snr-5 \| 1 \| \d/);

  const again = await cli(base).output();
  assert.match(text(again.stdout), new RegExp(`^0 ran, ${m.stages.length} cached`, "m"));

  const withGamma10 = await cli([
    ...base,
    "-p",
    'weighting=[{"strategy":"unweighted"},{"strategy":"min-snr","gamma":5},{"strategy":"min-snr","gamma":10}]',
  ]).output();
  assert.equal(withGamma10.code, 0, text(withGamma10.stderr));
  const trained = text(withGamma10.stdout).split("\n").filter((l) =>
    l.startsWith("✔ train-diffusion")
  );
  assert.equal(
    trained.length,
    8,
    `two targets × two segments × two seeds of the new arm only:\n${trained.join("\n")}`,
  );
  assert.ok(trained.every((l) => l.includes("min-snr-10")));
});

Deno.test("min-snr-faces with a missing image folder is a plan error naming the folder; nothing runs", async () => {
  const env = await tempEnv();
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
