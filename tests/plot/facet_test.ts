import assert from "node:assert/strict";
import { facet, svgSize } from "../../src/plot/facet.ts";
import { lineChart } from "../../src/plot/lineChart.ts";
import { checkWellFormed } from "./xml.ts";

Deno.test("facet() lays charts out in a grid inside one SVG", () => {
  const chart = (name: string) =>
    lineChart({
      title: name,
      xLabel: "x",
      yLabel: "y",
      width: 300,
      height: 200,
      series: [{ name, points: [[0, 1], [1, 2]] }],
    });
  const svg = facet(["a", "b", "c"].map(chart), 2, { title: "Small multiples", gap: 10 });
  checkWellFormed(svg);
  assert.equal((svg.match(/<svg /g) ?? []).length, 4);
  assert.deepEqual(svgSize(svg), { width: 610, height: 12 + 21 + 200 * 2 + 10 });
  assert.match(svg, /<svg x="310" y="33"/);
  assert.match(svg, /<svg x="0" y="243"/);
});

Deno.test("facet() rejects what is not a chart, and a bad column count", () => {
  assert.throws(() => facet(["<g/>"], 1), /does not start with <svg/);
  assert.throws(() => facet([], 0), /0 columns/);
});
