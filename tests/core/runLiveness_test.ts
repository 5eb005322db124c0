import assert from "node:assert/strict";
import { join } from "node:path";
import { hostname } from "node:os";
import { holdRunLock, markDeadRuns, RUNNING_LOCK } from "../../src/core/runLiveness.ts";

const fakeRun = async (root: string, name: string, host = hostname()) => {
  const dir = join(root, name);
  await Deno.mkdir(dir);
  await Deno.writeTextFile(
    join(dir, "manifest.json"),
    JSON.stringify({ status: "running", process: { pid: 1, hostname: host } }),
  );
  return dir;
};

const status = async (dir: string) =>
  JSON.parse(await Deno.readTextFile(join(dir, "manifest.json"))).status;

Deno.test("markDeadRuns() marks a run whose liveness lock is free interrupted, and spares live and foreign runs", async () => {
  const root = await Deno.makeTempDir({ prefix: "diffrun-liveness-" });
  try {
    const live = await fakeRun(root, "live");
    const dead = await fakeRun(root, "dead");
    const foreign = await fakeRun(root, "foreign", "elsewhere.invalid");
    const old = await fakeRun(root, "old"); // made before run folders had a liveness lock
    const liveLock = await holdRunLock(live);
    // what a killed run leaves: the file, its OS lock gone with the process
    await Deno.writeTextFile(join(dead, RUNNING_LOCK), "1 host\n");
    await Deno.writeTextFile(join(foreign, RUNNING_LOCK), "");

    const marked = await markDeadRuns([live, dead, foreign, old]);
    assert.deepEqual(marked, [dead]);
    assert.equal(await status(dead), "interrupted");
    assert.equal(await status(live), "running");
    assert.equal(await status(foreign), "running");
    assert.equal(await status(old), "running");
    await liveLock.release();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
