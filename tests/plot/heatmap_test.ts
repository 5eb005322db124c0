import assert from "node:assert/strict";
import { heatmap } from "../../src/plot/heatmap.ts";
import { checkWellFormed } from "./xml.ts";

const cells = (
  svg: string,
) => [...svg.matchAll(/<rect [^>]*data-row="(\d+)" data-col="(\d+)"[^>]*>/g)];

Deno.test("heatmap() draws every cell, marks missing ones n/a and prints values on a small grid", () => {
  const svg = heatmap({
    title: "adapter × base <&>",
    rowLabels: ["lora", "ia3"],
    columnLabels: ["unet", "dit"],
    values: [[1.5, NaN], [null, 4.25]],
    colorLabel: "FD-clf",
  });
  checkWellFormed(svg);
  assert.ok(!svg.includes("NaN"));
  assert.equal(cells(svg).length, 4);
  const missing = cells(svg).filter((m) => m[0].includes('data-missing="true"'));
  assert.deepEqual(missing.map((m) => [m[1], m[2]]), [["0", "1"], ["1", "0"]]);
  assert.match(svg, /fill="url\(#diffrun-na-hatch\)"/);
  assert.equal((svg.match(/>n\/a</g) ?? []).length, 2 + 1, "two cells and the colour-bar key");
  assert.match(svg, />1.5</);
  assert.match(svg, />4.25</);
  assert.match(svg, /lora × dit: n\/a/);
  assert.match(svg, /adapter × base &lt;&amp;&gt;/);
  assert.match(svg, /<linearGradient/);
});

Deno.test("heatmap() colours the extremes with the colour map's ends", () => {
  const svg = heatmap({
    title: "t",
    rowLabels: ["r"],
    columnLabels: ["a", "b"],
    values: [[0, 10]],
  });
  const fills = cells(svg).map((m) => /fill="(#[0-9a-f]{6})"/.exec(m[0])![1]);
  assert.deepEqual(fills, ["#440154", "#fde725"]);
  const rev = heatmap({
    title: "t",
    rowLabels: ["r"],
    columnLabels: ["a", "b"],
    values: [[0, 10]],
    reverse: true,
  });
  assert.deepEqual(cells(rev).map((m) => /fill="(#[0-9a-f]{6})"/.exec(m[0])![1]), [
    "#fde725",
    "#440154",
  ]);
});

Deno.test("heatmap() centres a diverging map and leaves values out of a large grid", () => {
  const div = heatmap({
    title: "t",
    rowLabels: ["r"],
    columnLabels: ["a", "b", "c"],
    values: [[-1, 0, 3]],
    colormap: "rdbu",
  });
  const fills = cells(div).map((m) => /fill="(#[0-9a-f]{6})"/.exec(m[0])![1]);
  assert.equal(fills[1], "#f7f7f7", "0 sits at the white middle");
  const big = heatmap({
    title: "t",
    rowLabels: Array.from({ length: 30 }, (_, i) => `${i}`),
    columnLabels: Array.from({ length: 60 }, (_, j) => `${j}`),
    values: Array.from(
      { length: 30 },
      (_, i) => Array.from({ length: 60 }, (_, j) => i * j + 0.123),
    ),
  });
  checkWellFormed(big);
  assert.equal(cells(big).length, 1800);
  assert.ok(!big.includes(">0.123<"), "cells too small for text");
});

Deno.test("heatmap() rejects a matrix that does not match its labels", () => {
  assert.throws(
    () => heatmap({ title: "m", rowLabels: ["a"], columnLabels: ["x", "y"], values: [[1]] }),
    /values must be 1 rows of 2 columns/,
  );
});
