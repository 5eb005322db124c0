/**
 * End to end in headless Chromium: a generated report opened from a copy of its run directory
 * (file://) and through `diffrun serve` (http://127.0.0.1), checked for drawn SVG paths, decoded
 * images, zero console errors and zero requests to anywhere else; a screenshot is written to
 * $DIFFRUN_SCREENSHOT_DIR (default: the test's temp directory). Skips without /usr/bin/chromium.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { writeRunReport } from "../../src/report/runReport.ts";
import { startServer } from "../../src/server/serve.ts";
import { hasChromium, rendered, skipMessage, withPage } from "./browser.ts";
import { SCRIPT_VALUE, writeFixtureRun } from "./fixture.ts";

if (!hasChromium) console.warn(`tests/report/browser_test.ts: ${skipMessage}`);

const copyTree = async (from: string, to: string) => {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyTree(join(from, e.name), join(to, e.name));
    else await Deno.copyFile(join(from, e.name), join(to, e.name));
  }
};

const screenshotPath = async (name: string) => {
  const dir = Deno.env.get("DIFFRUN_SCREENSHOT_DIR") ??
    await Deno.makeTempDir({ prefix: "diffrun-shot-" });
  await Deno.mkdir(dir, { recursive: true });
  return join(dir, name);
};

Deno.test({
  name: "report.html renders plots and grids in Chromium from a copied run directory, offline",
  ignore: !hasChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "diffrun-report-" });
    const dir = await writeFixtureRun(join(root, "original"));
    await writeRunReport(dir);
    const copy = join(root, "elsewhere", "copied-run");
    await copyTree(dir, copy);
    await Deno.remove(join(root, "original"), { recursive: true }); // nothing may point back
    const shot = await screenshotPath("report-file.png");
    const facts = await withPage(`file://${join(copy, "report.html")}`, async (page, log) => {
      const r = await rendered(page);
      const pwned = await page.evaluate("window.__pwned === undefined");
      await page.screenshot({ path: shot, fullPage: true });
      return { ...r, log, pwned };
    });
    assert.deepEqual(facts.log.consoleErrors, []);
    const elsewhere = facts.log.requests.filter((u) => !u.startsWith("file://"));
    assert.deepEqual(elsewhere, [], "no network requests");
    assert.ok(facts.chartPaths >= 4, `metric curves drawn (${facts.chartPaths} paths)`);
    assert.ok(facts.svgPaths > facts.chartPaths, "graph and study plots drawn too");
    assert.equal(facts.images.length, 4, "one grid per arm");
    for (const img of facts.images) {
      assert.ok(img.complete && img.width === 24, `${img.src} decoded (width ${img.width})`);
    }
    assert.ok(facts.pwned, "the script in a param value did not run");
    assert.ok(facts.text.includes(SCRIPT_VALUE), "it shows as text");
    assert.ok(facts.text.includes("ANOVA of target MSE"));
    assert.ok((await Deno.stat(shot)).size > 10_000, "a screenshot was taken");
  },
});

Deno.test({
  name: "diffrun serve's page of a running run reloads itself when metrics arrive",
  ignore: !hasChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "diffrun-serve-" });
    const dir = await writeFixtureRun(root, { status: "running" });
    const controller = new AbortController();
    let port = 0;
    const server = await startServer({
      resultsDir: root,
      port: 0,
      host: "127.0.0.1",
      signal: controller.signal,
      onListen: (a) => (port = a.port),
    });
    try {
      const origin = `http://127.0.0.1:${port}`;
      const shot = await screenshotPath("report-served.png");
      const result = await withPage(`${origin}/`, async (page, log) => {
        await page.click("text=20261201-000000Z-abcdef12");
        await page.waitForURL(/report\.html$/);
        const before = await rendered(page);
        // the run logs a new metric: the page polls live.json and reloads
        const reloaded = page.waitForEvent("load", { timeout: 15_000 });
        await Deno.writeTextFile(
          join(dir, "metrics.jsonl"),
          JSON.stringify({
            stage: "extra",
            key: "e",
            arms: [],
            cached: false,
            step: 1,
            accuracy: 0.5,
          }) +
            "\n",
          { append: true },
        );
        await reloaded;
        const after = await rendered(page);
        await page.screenshot({ path: shot, fullPage: true });
        return { before, after, log };
      });
      assert.deepEqual(result.log.consoleErrors, []);
      const foreign = result.log.requests.filter((u) => !u.startsWith(`${origin}/`));
      assert.deepEqual(foreign, [], "requests only to the server's own origin");
      assert.ok(result.before.images.every((i) => i.width === 24));
      assert.ok(!result.before.text.includes("accuracy (extra)"));
      assert.ok(result.after.text.includes("accuracy (extra)"), "the new metric's chart appears");
      assert.ok(result.log.requests.some((u) => u.endsWith("/live.json")));
    } finally {
      controller.abort();
      await server.finished;
    }
  },
});
