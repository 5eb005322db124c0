import assert from "node:assert/strict";
import { barChart } from "../../src/plot/barChart.ts";
import { checkWellFormed } from "./xml.ts";

const bars = (svg: string) =>
  [...svg.matchAll(
    /<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"[^>]*data-series="([^"]*)" data-category="([^"]*)"/g,
  )]
    .map((m) => ({ x: +m[1]!, y: +m[2]!, w: +m[3]!, h: +m[4]!, series: m[5]!, category: m[6]! }));

Deno.test("barChart() draws a bar per series and category, with error bars and a legend", () => {
  const svg = barChart({
    title: "Final FD <&>",
    yLabel: "FD-clf",
    categories: ["unweighted", "min-snr-5", "p2"],
    series: [
      { name: "eps", values: [10, 8, 9], errors: [1, 0.5, [0.2, 0.8]] },
      { name: "v", values: [9, 7.5, 8.5] },
    ],
  });
  checkWellFormed(svg);
  const b = bars(svg);
  assert.equal(b.length, 6);
  assert.deepEqual(b.map((x) => x.category), [
    "unweighted",
    "min-snr-5",
    "p2",
    "unweighted",
    "min-snr-5",
    "p2",
  ]);
  // bars share a baseline at 0; taller values give taller bars
  assert.equal(new Set(b.map((x) => (x.y + x.h).toFixed(1))).size, 1);
  assert.ok(b[0]!.h > b[1]!.h);
  assert.equal((svg.match(/<path d="M/g) ?? []).length, 3, "three error bars");
  assert.match(svg, /eps · p2: 9 \(−0.2, \+0.8\)/);
  assert.match(svg, /eps · unweighted: 10 ± 1/);
  assert.match(svg, /data-legend="eps"/);
  assert.match(svg, /data-legend="v"/);
  assert.match(svg, /Final FD &lt;&amp;&gt;/);
});

Deno.test("barChart() marks missing values n/a and never writes NaN", () => {
  const svg = barChart({
    title: "t",
    yLabel: "y",
    categories: ["a", "b"],
    series: [{ name: "s", values: [NaN, 2], errors: [NaN, null] }, {
      name: "r",
      values: [null, 1],
    }],
  });
  checkWellFormed(svg);
  assert.ok(!svg.includes("NaN"));
  assert.equal(bars(svg).length, 2);
  assert.equal((svg.match(/data-missing="true"/g) ?? []).length, 2);
});

Deno.test("barChart() tilts category labels that do not fit their slot", () => {
  const long = barChart({
    title: "t",
    yLabel: "y",
    width: 400,
    categories: Array.from({ length: 8 }, (_, i) => `a-very-long-category-${i}`),
    series: [{ name: "s", values: Array.from({ length: 8 }, (_, i) => i + 1) }],
  });
  checkWellFormed(long);
  assert.match(long, /rotate\(-35/);
});

Deno.test("barChart() rejects series whose length does not match the categories", () => {
  assert.throws(
    () =>
      barChart({
        title: "t",
        yLabel: "y",
        categories: ["a", "b"],
        series: [{ name: "s", values: [1] }],
      }),
    /bar series "s": it has 1 values for 2 categories/,
  );
});
