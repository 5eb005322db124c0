/**
 * The real pipeline once: the quickstart's smoke profile killed with SIGKILL right after its first
 * stage's work, then re-run. The re-run never waits for the dead run's locks, succeeds, leaves no
 * leftovers, marks the killed run `interrupted`, and `diffrun verify` finds every entry good.
 */
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { cli, projectRoot, tempEnv, text } from "../core/helpers.ts";
import { listRunDirs, readManifest } from "../../src/core/runDir.ts";
import { cliRun, namesIn } from "./helpers.ts";

const quickstart = resolve(projectRoot, "experiments/quickstart.ts");

Deno.test("quickstart --profile smoke killed mid-stage is recovered by the next run", async () => {
  const env = await tempEnv();
  try {
    const smoke = ["--profile", "smoke"];
    const killed = await cliRun(env, quickstart, { DIFFRUN_TEST_KILL_AT: "mid-stage" }, smoke);
    assert.equal(killed.signal, "SIGKILL", killed.stderr);
    assert.notDeepEqual(namesIn(env.store, "locks"), []);

    const again = await cliRun(env, quickstart, {}, smoke);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /waiting for the lock/);
    assert.deepEqual(namesIn(env.store, "tmp"), []);
    assert.deepEqual(namesIn(env.store, "locks"), []);
    const statuses = await Promise.all(
      (await listRunDirs(env.results)).map(async (d) => (await readManifest(d)).status),
    );
    assert.deepEqual(statuses.sort(), ["interrupted", "succeeded"]);

    const verified = await cli(["verify", "--store", env.store]).output();
    assert.equal(verified.code, 0, text(verified.stdout));
    assert.match(text(verified.stdout), / 0 bad/);
  } finally {
    await Deno.remove(env.dir, { recursive: true });
  }
});
