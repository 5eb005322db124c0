import assert from "node:assert/strict";
import { linearTicks, lineChart, logTicks, tickLabel } from "../../src/plot/lineChart.ts";

Deno.test("linearTicks() gives 1-2-5 steps covering the domain", () => {
  assert.deepEqual(linearTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(linearTicks(0, 1000, 5), [0, 200, 400, 600, 800, 1000]);
});

Deno.test("logTicks() gives decades inside the domain", () => {
  assert.deepEqual(logTicks(0.003, 870), [0.01, 0.1, 1, 10, 100]);
});

Deno.test("tickLabel() is compact", () => {
  assert.deepEqual([0, 0.01, 2500, 1e-5, 120].map(tickLabel), ["0", "0.01", "2.5k", "1e-5", "120"]);
});

Deno.test("lineChart() draws one path per series, skips non-finite points and escapes text", () => {
  const svg = lineChart({
    title: "loss <&> curve",
    xLabel: "step",
    yLabel: "loss",
    yScale: "log",
    series: [
      { name: "a", points: [[0, 1], [1, NaN], [2, 0.1], [3, -1]] },
      { name: "b", points: [[0, 2], [3, 0.5]], dashed: true },
    ],
  });
  assert.equal((svg.match(/<path /g) ?? []).length, 2);
  assert.match(
    svg,
    /data-series="a" d="M[\d.]+ [\d.]+ L[\d.]+ [\d.]+"/,
    "the NaN and the non-positive (log) points are skipped",
  );
  assert.ok(!svg.includes("NaN"));
  assert.match(svg, /loss &lt;&amp;&gt; curve/);
  assert.match(svg, /stroke-dasharray="6 4"/);
  // well-formed: every opened element is closed
  const opened = (svg.match(/<(svg|text|path|title)[ >]/g) ?? []).length;
  const closed = (svg.match(/<\/(svg|text|path|title)>/g) ?? []).length;
  assert.equal(opened, closed);
});

Deno.test("lineChart() maps domain ends inside the plot area", () => {
  const svg = lineChart({
    title: "t",
    xLabel: "x",
    yLabel: "y",
    width: 600,
    height: 400,
    series: [{ name: "s", points: [[0, 0], [10, 5]] }],
  });
  const d = svg.match(/data-series="s" d="M([\d.]+) ([\d.]+) L([\d.]+) ([\d.]+)"/)!;
  const [x0, y0, x1, y1] = d.slice(1).map(Number);
  assert.ok(x0! >= 70 && x1! > x0! && y1! < y0!, `first point (${x0}, ${y0}), last (${x1}, ${y1})`);
});
