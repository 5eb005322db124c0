import assert from "node:assert/strict";
import { join } from "node:path";
import { escapeHtml, jsonForScript, relativeUrl, sanitiseSvg } from "../../src/report/escape.ts";
import { markdownToHtml } from "../../src/report/markdown.ts";
import { parseTables, renderTable } from "../../src/report/tables.ts";
import { parseMetrics, readRun } from "../../src/report/runData.ts";
import { stageDepths, stageGraphSvg } from "../../src/report/stageGraph.ts";
import { curveCharts } from "../../src/report/curves.ts";
import { renderRunReport, writeRunReport } from "../../src/report/runReport.ts";
import { renderCompareReport, summaryRows } from "../../src/report/compareReport.ts";
import { SCRIPT_VALUE, writeFixtureRun } from "./fixture.ts";
import type { StageEntry } from "../../src/report/runData.ts";

const fixture = async (status?: "running" | "succeeded") =>
  writeFixtureRun(await Deno.makeTempDir({ prefix: "diffrun-report-" }), status ? { status } : {});

/** Every `<script` opening tag in the page (the live-update JSON block and its script). */
const scriptTags = (html: string) => html.match(/<script\b/gi)?.length ?? 0;

Deno.test("escapeHtml() escapes the five markup characters", () => {
  assert.equal(
    escapeHtml(`<a href="x">'&'</a>`),
    "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
  );
});

Deno.test("jsonForScript() never lets a value close the script element", () => {
  const s = jsonForScript({ v: "</script><script>alert(1)</script>" });
  assert.ok(!s.includes("</script"));
  assert.deepEqual(JSON.parse(s), { v: "</script><script>alert(1)</script>" });
});

Deno.test("relativeUrl() percent-encodes each segment of a stage directory", () => {
  assert.equal(
    relativeUrl(["artifacts", "evaluate_step_2_target=x0,w=a b_", "s.png"]),
    "artifacts/evaluate_step_2_target%3Dx0%2Cw%3Da%20b_/s.png",
  );
});

Deno.test("sanitiseSvg() removes scripts, event handlers and external links but keeps the drawing", () => {
  const svg = sanitiseSvg(
    `<?xml version="1.0"?><svg onload="alert(1)"><script>alert(2)</script><a href="https://x.test/"><path d="M0 0L1 1" onclick='alert(3)'/></a><use href="#p"/></svg>`,
  );
  assert.ok(!/alert/.test(svg), svg);
  assert.ok(!svg.includes("https://"));
  assert.ok(svg.includes(`<path d="M0 0L1 1"/>`));
  assert.ok(svg.includes(`href="#p"`), "internal references stay");
  assert.ok(svg.startsWith("<svg"));
});

Deno.test("markdownToHtml() renders headings, lists, tables and emphasis, and escapes raw HTML", () => {
  const html = markdownToHtml(
    [
      "# Title",
      "",
      "Some **bold** and `code` <b>raw</b>.",
      "",
      "- one",
      "- two",
      "",
      "| a | b |",
      "|---|---|",
      "| 1 | <i>x</i> |",
      "",
      "[bad](javascript:alert(1)) [rel](plot.svg) ![img](fig.png) ![remote](https://x.test/a.png)",
    ].join("\n"),
    "artifacts/report",
  );
  assert.ok(html.includes("<h3>Title</h3>"));
  assert.ok(html.includes("<strong>bold</strong>") && html.includes("<code>code</code>"));
  assert.ok(html.includes("&lt;b&gt;raw&lt;/b&gt;") && !html.includes("<b>raw"));
  assert.ok(html.includes("<ul><li>one</li><li>two</li></ul>"));
  assert.ok(html.includes("<th>a</th>") && html.includes("<td>&lt;i&gt;x&lt;/i&gt;</td>"));
  assert.ok(!html.includes("javascript:"), "javascript: links are dropped");
  assert.ok(html.includes(`<a href="artifacts/report/plot.svg">rel</a>`));
  assert.ok(html.includes(`<img alt="img" src="artifacts/report/fig.png">`));
  assert.ok(!html.includes("https://x.test"), "remote images are dropped");
});

Deno.test("parseTables() accepts the common format and names the field of a bad cell", () => {
  const ok = parseTables(
    JSON.stringify({
      tables: [{ id: "t", title: "T", columns: ["a"], rows: [[1], ["x"], [null]] }],
    }),
  );
  assert.ok(ok.ok && ok.tables[0]!.rows.length === 3);
  const bad = parseTables(
    JSON.stringify({ tables: [{ id: "t", title: "T", columns: ["a"], rows: [[{ n: 1 }]] }] }),
  );
  assert.ok(!bad.ok);
  assert.match(bad.reason, /tables\.0\.rows\.0\.0/);
  const unknown = parseTables(JSON.stringify({ tables: [], extra: 1 }));
  assert.ok(!unknown.ok && /extra/.test(unknown.reason), "an unknown key is an error");
});

Deno.test("renderTable() right-aligns numbers, shows null as a dash and escapes cells", () => {
  const html = renderTable({ title: "T<", columns: ["c"], rows: [[0.000123456], [null], ["<x>"]] });
  assert.ok(html.includes(`<td class="num">0.0001235</td>`));
  assert.ok(html.includes("<td>—</td>"));
  assert.ok(html.includes("<td>&lt;x&gt;</td>") && html.includes("<caption>T&lt;</caption>"));
});

Deno.test("parseMetrics() keeps numeric fields and counts unreadable lines", () => {
  const { rows, bad } = parseMetrics(
    `{"stage":"a","key":"k","arms":["x"],"cached":true,"step":2,"loss":0.5,"note":"s"}\n{"trunc\n[1]\n`,
  );
  assert.equal(bad, 2);
  assert.deepEqual(rows, [{
    stage: "a",
    key: "k",
    arms: ["x"],
    cached: true,
    values: { step: 2, loss: 0.5 },
  }]);
});

const entry = (key: string, inputs: Record<string, string>): StageEntry => ({
  key,
  label: key,
  stage: key,
  status: "ran",
  arms: [],
  inputs,
  durationMs: 1000,
  resumed: false,
  error: null,
});

Deno.test("stageDepths() puts a stage one column right of its deepest input", () => {
  const stages = [
    entry("a", {}),
    entry("b", { x: "a" }),
    entry("c", { x: "b", y: "a" }),
    entry("d", { x: "a" }),
  ];
  assert.deepEqual(Object.fromEntries(stageDepths(stages)), { a: 0, b: 1, c: 2, d: 1 });
  const svg = stageGraphSvg(stages)!;
  assert.equal(svg.match(/class="edge"/g)?.length, 4, "one edge per input");
  assert.equal(svg.match(/class="stage"/g)?.length, 4);
});

Deno.test("curveCharts() draws one chart per stage and metric with one series per arm", async () => {
  const run = await readRun(await fixture());
  const charts = curveCharts([{ run }]);
  assert.deepEqual(charts.map((c) => `${c.stage}/${c.metric}`), ["train/loss"]);
  assert.equal(charts[0]!.svg.match(/<path[^>]*data-series=/g)?.length, 4);
  assert.equal(run.badMetricLines, 1);
});

Deno.test("renderRunReport() escapes a param value holding a script tag everywhere", async () => {
  const html = await renderRunReport(await readRun(await fixture()));
  assert.ok(!html.includes(SCRIPT_VALUE), "the raw value never reaches the page");
  assert.ok(!html.includes("window.__pwned = 1</script>"));
  assert.ok(html.includes(escapeHtml(SCRIPT_VALUE)), "it shows as text");
  assert.equal(scriptTags(html), 2, "only the report's own two script elements");
});

Deno.test("renderRunReport() shows grids as a target × weighting matrix with relative image URLs", async () => {
  const html = await renderRunReport(await readRun(await fixture()));
  const srcs = [...html.matchAll(/<img src="([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(srcs.sort(), [
    "artifacts/evaluate_target%3Deps%2Cweighting%3Dmin-snr_/samples.png",
    "artifacts/evaluate_target%3Deps%2Cweighting%3Dunweighted_/samples.png",
    "artifacts/evaluate_target%3Dx0%2Cweighting%3Dmin-snr_/samples.png",
    "artifacts/evaluate_target%3Dx0%2Cweighting%3Dunweighted_/samples.png",
  ]);
  assert.ok(html.includes("<th>target \\ weighting</th><th>unweighted</th><th>min-snr</th>"));
  assert.ok(html.includes(`data-table="anova"`), "tables.json is rendered");
  assert.ok(html.includes("<td>input position</td>"));
  assert.ok(html.includes(`data-file="curve.svg"`), "the study's SVG is inlined");
  assert.ok(!html.includes("curve.png"), "its PNG twin is not shown again");
  assert.ok(html.includes("<strong>verdict</strong>"), "report.md is rendered");
  assert.ok(html.includes("0123456789abcdef"), "provenance shows the commit");
  assert.ok(
    !/https?:\/\//.test(html.replace(/http:\/\/www\.w3\.org\/2000\/svg/g, "")),
    "no URLs to elsewhere",
  );
});

Deno.test("renderRunReport() marks params that differ between arms", async () => {
  const html = await renderRunReport(await readRun(await fixture()));
  assert.match(html, /<tr class="differs"><td>target<\/td>/);
  assert.match(html, /<tr><td>steps<\/td>/);
});

Deno.test("writeRunReport() writes report.html into the run directory", async () => {
  const dir = await fixture("running");
  const path = await writeRunReport(dir);
  assert.equal(path, join(dir, "report.html"));
  const html = await Deno.readTextFile(path);
  assert.ok(html.includes(`data-status="running"`));
  assert.ok(html.includes(`"status":"running"`), "the live state is embedded for polling");
});

Deno.test("summaryRows() reads the arms table of summary.md", () => {
  const rows = summaryRows(
    "# x\n\n## Arms\n\n| arm | fd |\n|---|---|\n| a | 1.5 |\n\n## Stages\n| s |\n",
  );
  assert.deepEqual(Object.fromEntries(rows), { a: { arm: "a", fd: "1.5" } });
});

Deno.test("renderCompareReport() embeds images as data URIs and marks differing columns", async () => {
  const a = await fixture();
  const html = await renderCompareReport([a, a]);
  const srcs = [...html.matchAll(/<img src="([^"]+)"/g)].map((m) => m[1]!);
  assert.equal(srcs.length, 8);
  assert.ok(srcs.every((s) => s.startsWith("data:image/png;base64,")));
  assert.ok(html.includes("<th>target</th>") && html.includes("<th>weighting.strategy</th>"));
  assert.ok(!html.includes(SCRIPT_VALUE));
});
