/**
 * kill -9 at fixed points of a run (DIFFRUN_TEST_KILL_AT, see src/store/killPoint.ts), then a
 * re-run: it never waits for the dead process's lock, produces the same artifacts as a run that
 * was never killed, leaves no tmp/ item or lock file behind, and marks the killed run folder
 * `interrupted`. And several runners on one store compute each key once.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { tempEnv, toyExperiment } from "../core/helpers.ts";
import { listRunDirs, readManifest } from "../../src/core/runDir.ts";
import type { KillPhase } from "../../src/store/killPoint.ts";
import { cliRun, namesIn, treeChecksums } from "./helpers.ts";

// the toy experiment with enough steps that its compute stages hold locks and checkpoints
const toyArgs = ["-p", "steps=3"];

const reference = (async () => {
  const env = await tempEnv();
  const r = await cliRun(env, toyExperiment, {}, toyArgs);
  assert.equal(r.code, 0, r.stderr);
  const [dir] = await listRunDirs(env.results);
  const sums = treeChecksums(join(dir!, "artifacts"));
  await Deno.remove(env.dir, { recursive: true });
  return sums;
})();

const phases: KillPhase[] = ["planning", "mid-stage", "committing", "run-folder"];

for (const phase of phases) {
  Deno.test(`a run killed with SIGKILL at ${phase} is recovered by the next run at once`, async () => {
    const env = await tempEnv();
    try {
      const killed = await cliRun(env, toyExperiment, { DIFFRUN_TEST_KILL_AT: phase }, toyArgs);
      assert.equal(killed.signal, "SIGKILL", `not killed: ${killed.stdout}\n${killed.stderr}`);
      const [killedDir] = await listRunDirs(env.results);
      assert.equal((await readManifest(killedDir!)).status, "running");
      const left = namesIn(env.store, "tmp");
      if (phase === "mid-stage") {
        assert.ok(left.some((n) => n.endsWith(".scratch")), left.join());
        assert.notDeepEqual(namesIn(env.store, "locks"), []);
      }
      if (phase === "committing") assert.ok(left.some((n) => n.endsWith(".write")), left.join());

      const again = await cliRun(env, toyExperiment, {}, toyArgs);
      assert.equal(again.code, 0, again.stderr);
      // it never waited for a lock (a dead holder's lock is free at once)
      assert.doesNotMatch(again.stderr, /waiting for the lock/);
      const dirs = await listRunDirs(env.results);
      assert.equal(dirs.length, 2);
      const rerunDir = dirs.find((d) => d !== killedDir)!;
      assert.deepEqual(treeChecksums(join(rerunDir, "artifacts")), await reference);
      assert.deepEqual(namesIn(env.store, "tmp"), []);
      assert.deepEqual(namesIn(env.store, "locks"), []);
      assert.equal((await readManifest(killedDir!)).status, "interrupted");
      assert.equal((await readManifest(rerunDir)).status, "succeeded");
    } finally {
      await Deno.remove(env.dir, { recursive: true });
    }
  });
}

Deno.test("four runners started together on one store compute every key exactly once", async () => {
  const env = await tempEnv();
  try {
    const runs = await Promise.all(
      [0, 1, 2, 3].map(() => cliRun(env, toyExperiment, {}, [...toyArgs, "-p", "sleepMs=30"])),
    );
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const counts = env.counts();
    assert.deepEqual(counts, {
      "numbers n=4": 1,
      "scale factor=1": 1,
      "scale factor=2": 1,
      "scale factor=3": 1,
      "total": 3,
    });
    for (const r of runs) assert.doesNotMatch(r.stderr, /corrupt/);
    const sums = (await listRunDirs(env.results)).map((d) => treeChecksums(join(d, "artifacts")));
    for (const s of sums) assert.deepEqual(s, sums[0]);
    assert.deepEqual(namesIn(env.store, "tmp"), []);
    assert.deepEqual(namesIn(env.store, "locks"), []);
  } finally {
    await Deno.remove(env.dir, { recursive: true });
  }
});
