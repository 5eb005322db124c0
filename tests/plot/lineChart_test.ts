import assert from "node:assert/strict";
import { lineChart } from "../../src/plot/lineChart.ts";
import { checkWellFormed } from "./xml.ts";

const paths = (svg: string) =>
  [...svg.matchAll(/<path data-series="([^"]*)" d="([^"]*)"/g)].map((m) => ({
    name: m[1]!,
    d: m[2]!,
  }));

const coords = (d: string) =>
  [...d.matchAll(/[ML](-?[\d.]+) (-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);

/** The plot frame: the rect with no fill and a dark stroke. */
const frame = (svg: string) => {
  const m =
    /<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="none" stroke="#444"\/>/
      .exec(svg)!;
  const [x, y, w, h] = m.slice(1).map(Number) as [number, number, number, number];
  return { left: x, top: y, right: x + w, bottom: y + h };
};

Deno.test("lineChart() draws one path per series, named in the legend, and is well-formed", () => {
  const names = ["unweighted", "min-snr-5", "p2", "soft-min-snr"];
  const svg = lineChart({
    title: "t",
    xLabel: "training step",
    yLabel: "FD-clf",
    xScale: "log",
    series: names.map((name, i) => ({ name, points: [[10, i], [100, i + 1], [1000, i + 0.5]] })),
  });
  checkWellFormed(svg);
  assert.deepEqual(paths(svg).map((p) => p.name), names);
  for (const n of names) assert.match(svg, new RegExp(`data-legend="${n}"`));
  assert.equal((svg.match(/<title>/g) ?? []).length, names.length, "a tooltip per series");
  assert.match(svg, /training step \(log scale\)/);
  assert.match(svg, />1k</);
});

Deno.test("lineChart() maps points at the domain ends onto the plot area's edges", () => {
  const svg = lineChart({
    title: "t",
    xLabel: "x",
    yLabel: "y",
    width: 600,
    height: 400,
    xDomain: [0, 10],
    yDomain: [0, 5],
    series: [{ name: "s", points: [[0, 0], [10, 5]] }],
  });
  const f = frame(svg);
  const [[x0, y0], [x1, y1]] = coords(paths(svg)[0]!.d) as [[number, number], [number, number]];
  assert.ok(
    Math.abs(x0 - f.left) < 0.06 && Math.abs(y0 - f.bottom) < 0.06,
    `${x0},${y0} vs ${JSON.stringify(f)}`,
  );
  assert.ok(
    Math.abs(x1 - f.right) < 0.06 && Math.abs(y1 - f.top) < 0.06,
    `${x1},${y1} vs ${JSON.stringify(f)}`,
  );
  assert.match(svg, /width="600" height="400"/);
});

Deno.test("lineChart() keeps automatic domains' data inside the plot area", () => {
  const svg = lineChart({
    title: "t",
    xLabel: "x",
    yLabel: "y",
    yScale: "log",
    series: [{ name: "s", points: [[0, 0.003], [5, 1], [10, 870]] }],
  });
  const f = frame(svg);
  for (const [x, y] of coords(paths(svg)[0]!.d)) {
    assert.ok(x! >= f.left && x! <= f.right && y! >= f.top && y! <= f.bottom, `${x},${y}`);
  }
  for (const t of ["1e-3", "0.01", "0.1", "1", "10", "100", "1k"]) {
    assert.match(svg, new RegExp(`>${t}</text>`));
  }
});

Deno.test("lineChart() skips non-finite points (and ≤ 0 on log axes) without writing NaN", () => {
  const svg = lineChart({
    title: "loss",
    xLabel: "step",
    yLabel: "loss",
    yScale: "log",
    markers: true,
    series: [
      {
        name: "a",
        points: [[0, 1], [1, NaN], [2, 0.1], [3, -1], [4, Infinity], [5, 0.05], [6, 0.04]],
      },
      { name: "b", points: [[NaN, 2], [3, 0.5]], dashed: true },
    ],
  });
  checkWellFormed(svg);
  assert.ok(!/NaN|Infinity/.test(svg));
  const [a, b] = paths(svg);
  // a gap where points are missing: three runs, the lone points as zero-length "dots"
  assert.equal(a!.d.split("M").length - 1, 3, a!.d);
  assert.equal(coords(a!.d).length, 4);
  assert.equal(coords(b!.d).length, 1);
  assert.match(svg, /4 points not drawn/);
  assert.equal(
    (svg.match(/<circle/g) ?? []).length,
    5 + 2,
    "a marker per drawn point, plus 2 in the legend",
  );
  assert.match(svg, /stroke-dasharray="6 4"/);
});

Deno.test("lineChart() escapes text", () => {
  const svg = lineChart({
    title: "loss <&> curve",
    subtitle: `"quoted"`,
    xLabel: "a<b",
    yLabel: "c&d",
    series: [{ name: "x<y>&z", points: [[0, 1], [1, 2]] }],
    hLines: [{ y: 1.5, label: "base <line>" }],
  });
  checkWellFormed(svg);
  assert.match(svg, /loss &lt;&amp;&gt; curve/);
  assert.match(svg, /data-series="x&lt;y&gt;&amp;z"/);
  assert.match(svg, /base &lt;line&gt;/);
  assert.ok(!svg.includes("<&>"));
});

Deno.test("lineChart() puts the legend in a free corner, or under the plot when none is free", () => {
  const legendY = (svg: string) =>
    Number(/<text x="[\d.]+" y="([\d.]+)" data-legend=/.exec(svg)![1]);
  // a falling line leaves the top-right corner free
  const corner = lineChart({
    title: "t",
    xLabel: "x",
    yLabel: "y",
    series: [{ name: "falling", points: [[0, 10], [10, 0]] }],
  });
  assert.ok(legendY(corner) < frame(corner).bottom);
  // a zig-zag through every corner pushes it out
  const zig = Array.from({ length: 41 }, (_, i) => [i, i % 2 ? 0 : 10] as [number, number]);
  const below = lineChart({
    title: "t",
    xLabel: "x",
    yLabel: "y",
    series: [{ name: "zig", points: zig }],
  });
  assert.ok(legendY(below) > frame(below).bottom + 40);
  checkWellFormed(below);
});

Deno.test("lineChart() draws an empty chart with a 'no data' note", () => {
  const svg = lineChart({
    title: "t",
    xLabel: "x",
    yLabel: "y",
    series: [{ name: "s", points: [] }],
  });
  checkWellFormed(svg);
  assert.match(svg, />no data</);
  assert.match(svg, /s \(no data\)/);
  assert.ok(!svg.includes("NaN"));
});

Deno.test("lineChart() draws reference lines with labels", () => {
  const svg = lineChart({
    title: "t",
    xLabel: "x",
    yLabel: "y",
    series: [{ name: "s", points: [[0, 0], [10, 10]] }],
    hLines: [{ y: 5, label: "target" }],
    vLines: [{ x: 3, label: "lr drop" }],
  });
  checkWellFormed(svg);
  assert.match(svg, />target</);
  assert.match(svg, />lr drop</);
});

Deno.test("lineChart() colours ordered series along a ramp with palette: sequential", () => {
  const series = Array.from(
    { length: 12 },
    (_, k) => ({ name: `step ${k}`, points: [[0, k], [1, k + 1]] as [number, number][] }),
  );
  const strokes = (svg: string) =>
    [...svg.matchAll(/<path data-series="[^"]*" d="[^"]*" fill="none" stroke="(#[0-9a-fA-F]{6})"/g)]
      .map((m) => m[1]);
  const seq = lineChart({ title: "t", xLabel: "x", yLabel: "y", series, palette: "sequential" });
  assert.equal(new Set(strokes(seq)).size, 12);
  assert.equal(strokes(seq)[0], "#440154");
  assert.ok(!seq.includes("stroke-dasharray"), "no dashes needed");
  const cat = lineChart({ title: "t", xLabel: "x", yLabel: "y", series });
  assert.equal(new Set(strokes(cat)).size, 8, "the palette repeats…");
  assert.match(cat, /data-series="step 8"[^>]*stroke-dasharray="2 3"/, "…with a dash pattern");
});

Deno.test("lineChart() stays fast and small for long series", () => {
  const t0 = performance.now();
  const svg = lineChart({
    title: "t",
    xLabel: "step",
    yLabel: "loss",
    yScale: "log",
    series: Array.from({ length: 4 }, (_, k) => ({
      name: `s${k}`,
      points: Array.from({ length: 20000 }, (_, i) => [i, (k + 1) / (1 + i)] as [number, number]),
    })),
  });
  assert.ok(performance.now() - t0 < 2000, `${performance.now() - t0} ms`);
  assert.ok(svg.length < 4 * 20000 * 16, `${svg.length} bytes`);
});

Deno.test("lineChart() names its clip path after its content, so inlined charts do not clash", () => {
  const clipId = (svg: string) => /<clipPath id="([^"]+)"/.exec(svg)![1];
  const chart = (y: number) =>
    lineChart({
      title: "Training loss",
      xLabel: "x",
      yLabel: "y",
      series: [{ name: "loss", points: [[0, y], [1, 2], [2, 5]] }],
    });
  assert.equal(clipId(chart(1)), clipId(chart(1)));
  assert.notEqual(clipId(chart(1)), clipId(chart(0)));
  assert.match(chart(1), new RegExp(`clip-path="url\\(#${clipId(chart(1))}\\)"`));
});

Deno.test("lineChart() draws a series' band as a closed area between its low and high edges", () => {
  const svg = lineChart({
    title: "t",
    xLabel: "step",
    yLabel: "FD",
    legend: "none",
    series: [{
      name: "a",
      points: [[0, 5], [10, 5]],
      band: [[0, 4, 6], [10, 0, 20]],
    }],
  });
  checkWellFormed(svg);
  const band = /<path data-band="a" d="([^"]*)"/.exec(svg);
  assert.ok(band, "a band path");
  assert.ok(band[1]!.endsWith("Z"), "closed");
  const pts = coords(band[1]!) as [number, number][];
  // high edge left to right, then low edge right to left
  assert.equal(pts.length, 4);
  const f = frame(svg);
  const line = coords(paths(svg)[0]!.d) as [number, number][];
  // the axes grew to hold the band (0..20): y = 5 lies in the lower part of the plot
  assert.ok(line[0]![1] > f.top + 0.6 * (f.bottom - f.top), `line at y ${line[0]![1]}`);
  assert.ok(pts[0]![1] < line[0]![1] && pts[3]![1] > line[0]![1], "band around the line at x=0");
  assert.equal(pts[0]![0], pts[3]![0]);
  // the band is drawn under the line (earlier in the document)
  assert.ok(svg.indexOf("data-band") < svg.indexOf('data-series="a"'));
});

Deno.test("lineChart() breaks a band where a triple cannot be drawn", () => {
  const svg = lineChart({
    title: "t",
    xLabel: "step",
    yLabel: "FD",
    yScale: "log",
    series: [{
      name: "a",
      points: [[0, 5], [1, 5], [2, 5], [3, 5]],
      band: [[0, 4, 6], [1, 4, 6], [2, -1, 6], [3, 4, 6]],
    }],
  });
  const band = /<path data-band="a" d="([^"]*)"/.exec(svg)![1]!;
  assert.equal((band.match(/M/g) ?? []).length, 2, "two pieces");
});
