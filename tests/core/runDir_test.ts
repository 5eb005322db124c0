import assert from "node:assert/strict";
import { join } from "node:path";
import { claimRunDir } from "../../src/core/runDir.ts";

Deno.test("claimRunDir() gives runs of one plan in the same second distinct directories", async () => {
  const parent = join(await Deno.makeTempDir(), "toy");
  try {
    const first = await claimRunDir(parent, "20261201-101500Z-abcd1234");
    const second = await claimRunDir(parent, "20261201-101500Z-abcd1234");
    const third = await claimRunDir(parent, "20261201-101500Z-abcd1234");
    assert.equal(first.runId, "20261201-101500Z-abcd1234");
    assert.equal(second.runId, "20261201-101500Z-abcd1234-2");
    assert.equal(third.runId, "20261201-101500Z-abcd1234-3");
    assert.equal(second.dir, join(parent, second.runId));
    for (const r of [first, second, third]) assert.ok((await Deno.stat(r.dir)).isDirectory);
  } finally {
    await Deno.remove(join(parent, ".."), { recursive: true });
  }
});
