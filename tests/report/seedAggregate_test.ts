import assert from "node:assert/strict";
import { resolve } from "node:path";
import type { IntervalCell } from "../../src/stats/intervalCell.ts";
import { aggregateSeeds } from "../../src/report/seedAggregate.ts";
import { cli, projectRoot, tempEnv, text } from "../core/helpers.ts";
import { listRunDirs } from "../../src/core/runDir.ts";

Deno.test("aggregateSeeds() groups replicate arms and aggregates their numeric metrics", () => {
  const arms = [0, 1, 2].flatMap((s) => [
    { id: `w=a/seed=${s}`, values: { w: "a", trainSeed: s } },
    { id: `w=b/seed=${s}`, values: { w: "b", trainSeed: s } },
  ]);
  const metrics = new Map(arms.map((a, i) => [a.id, {
    arm: a.id,
    w: String(a.values.w),
    trainSeed: String(a.values.trainSeed),
    fd: String(a.values.w === "a" ? 1 + a.values.trainSeed : 10),
    status: "ok",
    note: i === 0 ? "x" : "y",
  }]));
  const agg = aggregateSeeds(arms, metrics)!;
  assert.deepEqual(agg.columns, ["fd", "status", "note"]);
  assert.deepEqual(agg.rows.map((r) => r.group), ["w=a", "w=b"]);
  const fd = agg.rows[0]!.cells.fd as IntervalCell;
  assert.equal(fd.mean, 2);
  assert.deepEqual(fd.values, [1, 2, 3]);
  assert.equal(agg.rows[0]!.cells.status, "ok", "agreeing text is kept");
  assert.equal(agg.rows[0]!.cells.note, null, "differing text is not averaged");
  assert.equal(aggregateSeeds([{ id: "w=a", values: {} }], new Map()), null);
});

Deno.test("diffrun compare and report show each arm over its seeds", async () => {
  const env = await tempEnv();
  const experiment = resolve(projectRoot, "tests/core/testdata/replicate_experiment.ts");
  const args = ["--store", env.store, "--results", env.results];
  const ran = await cli(["run", experiment, "--replicates", "3", ...args]).output();
  assert.equal(ran.code, 0, text(ran.stderr));
  const [dir] = await listRunDirs(env.results);
  const compared = await cli(["compare", dir!]).output();
  assert.equal(compared.code, 0, text(compared.stderr));
  const out = text(compared.stdout);
  assert.match(out, /Across seeds: mean ± half-width of the 95% Student-t interval/);
  assert.match(out, /\| weighting=const \| 3 \| [-\d.]+ ± [\d.]+ \(n = 3\) \|/);
  const report = await cli(["report", dir!]).output();
  assert.equal(report.code, 0, text(report.stderr));
  const html = await Deno.readTextFile(resolve(dir!, "report.html"));
  assert.match(html, /Each arm over its replicate seeds/);
  assert.match(html, /title="seed 0: [-\d.]+\nseed 1: [-\d.]+\nseed 2: [-\d.]+"/);
});
