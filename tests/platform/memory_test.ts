/**
 * Memory statistics on either runtime: RSS always; glibc's malloc split where mallinfo2() can be
 * called (Deno with --allow-ffi on glibc), otherwise absent with the reason, never zero.
 * Runs under `deno test` and `bun test`.
 */
import assert from "node:assert/strict";
import { memorySnapshot } from "../../src/engine/memoryStats.ts";
import { prepareFfi } from "../../src/platform/ffi.ts";
import { testCase, testRuntime } from "../helpers/testCase.ts";

testCase("memorySnapshot() reports malloc statistics, or why they are unavailable", async () => {
  await prepareFfi();
  const m = memorySnapshot();
  assert.ok(m.rss > 0);
  assert.ok(m.heapUsed > 0);
  if (m.mallocInUse === undefined) {
    assert.equal(m.mallocFree, undefined);
    assert.match(m.mallocUnavailable ?? "", /mallinfo2/);
    if (testRuntime() === "bun") assert.match(m.mallocUnavailable!, /^Bun/);
  } else {
    assert.equal(testRuntime(), "deno"); // Bun cannot call mallinfo2()
    assert.ok(m.mallocInUse > 0);
    assert.equal(m.mallocUnavailable, undefined);
  }
});
