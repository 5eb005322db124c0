/**
 * Successive halving after kill -9 between rungs: the killed run's halving.json shows the rung it
 * finished, and the next run resumes there — the first rung's stages come from the cache, only
 * the later rungs compute, and the decisions equal those of a run never killed.
 */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { projectRoot, tempEnv } from "../core/helpers.ts";
import { listRunDirs, readManifest } from "../../src/core/runDir.ts";
import { cliRun } from "./helpers.ts";

const file = resolve(projectRoot, "tests/core/testdata/halving_experiment.ts");
const decisions = async (dir: string) =>
  JSON.parse(await Deno.readTextFile(join(dir, "halving.json"))).decisions;

Deno.test("a halving run killed with SIGKILL after its first rung resumes at the second rung", async () => {
  await using reference = await tempEnv();
  const whole = await cliRun(reference, file);
  assert.equal(whole.code, 0, whole.stderr);
  const expected = await decisions((await listRunDirs(reference.results))[0]!);

  await using env = await tempEnv();
  const killed = await cliRun(env, file, { DIFFRUN_TEST_KILL_AT: "rung" });
  assert.equal(killed.signal, "SIGKILL", `not killed: ${killed.stdout}\n${killed.stderr}`);
  const [killedDir] = await listRunDirs(env.results);
  assert.deepEqual(await decisions(killedDir!), expected.slice(0, 1), "the first rung, recorded");
  const firstRung = Object.keys(env.counts()).sort();
  assert.ok(firstRung.every((line) => line.endsWith(" 2")), firstRung.join());
  Deno.writeTextFileSync(env.counter, "");

  const again = await cliRun(env, file);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /12 cached/, "rung 1's six segments and six evaluations");
  // only what the later rungs add ran: no step-2 stage again
  const ran = Object.keys(env.counts());
  assert.ok(ran.length > 0 && ran.every((line) => !/ 2$/.test(line)), ran.join());
  const dirs = await listRunDirs(env.results);
  const rerun = dirs.find((d) => d !== killedDir)!;
  assert.deepEqual(await decisions(rerun), expected);
  assert.equal((await readManifest(killedDir!)).status, "interrupted");
  assert.equal((await readManifest(rerun)).status, "succeeded");
});
