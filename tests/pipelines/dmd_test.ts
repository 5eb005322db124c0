/**
 * The DMD study's smoke profile end to end (procedural shapes, no dataset needed): teacher,
 * classifier, pair shards, four distilled arms, one-step evaluations and the report; then a full
 * cache hit, and more pairs that compute only the new shard.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { tempEnv } from "../core/helpers.ts";
import { runSmoke } from "./smoke.ts";

Deno.test("dmd --profile smoke distils four arms, writes the report, re-runs from cache, and extends the pairs by one shard", async () => {
  await using env = await tempEnv();
  const run = await runSmoke(env, "dmd");
  const { dir, manifest: m } = run;
  assert.equal(m.arms.length, 4);
  const count = (stage: string) => m.stages.filter((s) => s.stage === stage).length;
  assert.equal(count("train-diffusion"), 1, "one shared teacher");
  assert.equal(count("regression-pairs"), 2, "16 pairs in shards of 8");
  assert.equal(count("dmd-distill"), 4);
  const reportDir = join(dir, "artifacts", "dmd-report");
  const report = await Deno.readTextFile(join(reportDir, "report.md"));
  assert.match(report, /\| teacher, DDIM 3 steps \| 3 \| \d/);
  assert.match(
    report,
    /\| dmd2: DMD2-style \(matching, 5:1\) \| 1 \| [\d.]+ \(n = 1\) \| .* \| 3 \| 15 \|/,
  );
  assert.match(
    report,
    /## Verdict\n\n.*\n\n- Inconclusive \(one seed\): full DMD beats both parts alone/,
  );
  assert.match(report, /stands in for LPIPS/);
  const tables = JSON.parse(await Deno.readTextFile(join(reportDir, "tables.json")));
  assert.equal(tables.tables[0].id, "dmd");
  assert.equal(tables.tables[0].rows.length, 2 + 4, "two teacher rows and four arms");
  for (
    const f of [
      "grid_teacher_ddim3.png",
      "grid_regression.png",
      "grid_dmd2.png",
      "loss_generator.svg",
      "loss_fake.png",
    ]
  ) {
    assert.ok((await Deno.stat(join(reportDir, f))).size > 0, f);
  }

  assert.match(await run.again(), /^0 ran, 21 cached/m);

  const more = await run.again(["-p", "pairs=24"]);
  const pairs = more.split("\n").filter((l) => l.startsWith("✔ regression-pairs"));
  assert.deepEqual(pairs.map((l) => l.replace(/ ran in .*/, "")), [
    "✔ regression-pairs:shard 2",
  ], "only the new shard is computed");
});
