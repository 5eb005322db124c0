import assert from "node:assert/strict";
import { resolve } from "node:path";
import { cli, projectRoot, tempEnv, text } from "./helpers.ts";
import { listRunDirs, readManifest } from "../../src/core/runDir.ts";

const experiment = resolve(projectRoot, "tests/core/testdata/replicate_experiment.ts");

Deno.test("diffrun run --replicates n runs seeds 0..n−1 and records them among the overrides", async () => {
  const env = await tempEnv();
  const args = ["run", experiment, "--store", env.store, "--results", env.results];
  const out = await cli([...args, "--replicates", "2"]).output();
  assert.equal(out.code, 0, text(out.stderr));
  const [dir] = await listRunDirs(env.results);
  const m = await readManifest(dir!);
  assert.deepEqual(m.arms.map((a) => a.id), [
    "weighting=const/seed=0",
    "weighting=const/seed=1",
    "weighting=min-snr/seed=0",
    "weighting=min-snr/seed=1",
  ]);
  assert.deepEqual(m.command.overrides, ["replicates=2"]);
});

Deno.test("diffrun plan --replicates 0 exits 2 and names the flag", async () => {
  const env = await tempEnv();
  const out = await cli(["plan", experiment, "--store", env.store, "--replicates", "0"]).output();
  assert.equal(out.code, 2);
  assert.match(
    text(out.stderr) + text(out.stdout),
    /--replicates "0": replicates must be at least 1/,
  );
});
