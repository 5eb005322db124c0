/** readRun() takes each stage's files from the manifest's list when the run recorded one. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readRun } from "../../src/report/runData.ts";
import { writeFixtureRun } from "./fixture.ts";

/** The fixture run with `files` set on the first stage with several artifacts; its label. */
const withListedFiles = async (files: (walked: string[]) => unknown) => {
  const dir = await writeFixtureRun(await Deno.makeTempDir({ prefix: "diffrun-files-" }));
  const walked = await readRun(dir);
  const [label, found] = [...walked.artifacts].find(([, f]) => f.length > 1)!;
  const path = join(dir, "manifest.json");
  const manifest = JSON.parse(await Deno.readTextFile(path));
  const stage = manifest.stages.find((s: { label: string }) => s.label === label);
  stage.files = files(found.map((f) => f.name));
  await Deno.writeTextFile(path, JSON.stringify(manifest));
  return { dir, label, walkedNames: found.map((f) => f.name) };
};

Deno.test("readRun() lists a stage's artifacts from the manifest's files, without a walk", async () => {
  // the list names the last file only: the others, still on disk, are not listed
  const { dir, label, walkedNames } = await withListedFiles((walked) => [walked.at(-1)]);
  const run = await readRun(dir);
  assert.ok(walkedNames.length > 1, "the stage has several files");
  assert.deepEqual(run.artifacts.get(label)?.map((f) => f.name), [walkedNames.at(-1)]);
  await Deno.remove(join(dir, "..", ".."), { recursive: true });
});

Deno.test("readRun() walks a stage's folder when the manifest's list names a path outside it", async () => {
  for (const bad of [["../../manifest.json"], ["a//b"], ["/etc/passwd"], [3]]) {
    const { dir, label, walkedNames } = await withListedFiles(() => bad);
    const run = await readRun(dir);
    assert.deepEqual(run.artifacts.get(label)?.map((f) => f.name), walkedNames, String(bad));
    await Deno.remove(join(dir, "..", ".."), { recursive: true });
  }
});
