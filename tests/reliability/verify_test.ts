/** `diffrun verify [--repair]` through the CLI, on a store with one damaged entry. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, tempEnv, text } from "../core/helpers.ts";
import { artifactsExperiment, cliRun, entryOf } from "./helpers.ts";

const verify = async (store: string, ...args: string[]) => {
  const out = await cli(["verify", "--store", store, ...args]).output();
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
};

Deno.test("diffrun verify exits 1 naming a bad entry's key and file; --repair removes it and exits 0", async () => {
  const env = await tempEnv();
  try {
    assert.equal((await cliRun(env, artifactsExperiment)).code, 0);
    const clean = await verify(env.store);
    assert.equal(clean.code, 0, clean.stderr);
    assert.match(clean.stdout, /verified 5 entries: 5 good .*, 0 bad/);

    // an edit that keeps size, mtime and inode: only a full re-hash sees it
    const { key, artifact } = entryOf(env.store, "weights");
    const path = join(artifact, "params.safetensors");
    const before = await Deno.stat(path);
    const bytes = await Deno.readFile(path);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x10;
    await Deno.writeFile(path, bytes);
    await Deno.utime(path, before.atime!, before.mtime!);

    const found = await verify(env.store);
    assert.equal(found.code, 1);
    assert.match(found.stdout, new RegExp(`bad ${key}: file params\\.safetensors has sha256`));
    assert.match(found.stdout, /4 good .*, 1 bad/);
    assert.ok((await Deno.stat(artifact)).isDirectory, "without --repair nothing is removed");

    const repaired = await verify(env.store, "--repair");
    assert.equal(repaired.code, 0);
    assert.match(repaired.stdout, new RegExp(`removed ${key}`));
    await assert.rejects(Deno.stat(artifact));
    assert.match((await verify(env.store)).stdout, /verified 4 entries: 4 good/);
  } finally {
    await Deno.remove(env.dir, { recursive: true });
  }
});
