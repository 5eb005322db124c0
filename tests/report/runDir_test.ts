import assert from "node:assert/strict";
import { join } from "node:path";
import { runToy, tempEnv } from "../core/helpers.ts";

Deno.test("a finished run writes report.html with its stages and metrics", async () => {
  await using env = await tempEnv();
  const outcome = await runToy(env);
  assert.equal(outcome.status, "succeeded");
  const html = await Deno.readTextFile(join(outcome.runDir, "report.html"));
  assert.ok(html.startsWith("<!DOCTYPE html>"));
  assert.ok(html.includes(`data-status="succeeded"`));
  const manifest = JSON.parse(await Deno.readTextFile(join(outcome.runDir, "manifest.json")));
  for (const s of manifest.stages) {
    assert.ok(html.includes(s.key.slice(0, 12)), `stage ${s.label} is in the stage table`);
  }
  const logs = await Array.fromAsync(Deno.readDir(join(outcome.runDir, "logs")));
  assert.ok(!logs.some((l) => l.name.startsWith("report.html")), "no report error was logged");
});
