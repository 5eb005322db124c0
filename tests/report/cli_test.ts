import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, text } from "../core/helpers.ts";
import { writeFixtureRun } from "./fixture.ts";

const run = async (args: string[]) => {
  const out = await cli(args).output();
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
};

Deno.test("diffrun report writes report.html into the run directory", async () => {
  const dir = await writeFixtureRun(await Deno.makeTempDir({ prefix: "diffrun-report-" }));
  const r = await run(["report", dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /wrote .*report\.html/);
  assert.ok((await Deno.readTextFile(join(dir, "report.html"))).includes("ANOVA of target MSE"));
});

Deno.test("diffrun report on a directory without a manifest exits 2 and says why", async () => {
  const r = await run(["report", await Deno.makeTempDir({ prefix: "diffrun-report-" })]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no manifest\.json: not a run directory/);
});

Deno.test("diffrun compare --html writes one page with the images embedded", async () => {
  const root = await Deno.makeTempDir({ prefix: "diffrun-report-" });
  const dir = await writeFixtureRun(root);
  const out = join(root, "compare.html");
  const r = await run(["compare", dir, dir, "--html", out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /column\(s\) differ/, "the text comparison still prints");
  const html = await Deno.readTextFile(out);
  assert.equal(html.match(/<img src="data:image\/png;base64,/g)?.length, 8);
});
