import assert from "node:assert/strict";
import sharp from "sharp";
import { svgToPng, svgToPngBytes } from "../../src/plot/png.ts";
import { lineChart } from "../../src/plot/lineChart.ts";

const chart = lineChart({
  title: "Training loss",
  xLabel: "step",
  yLabel: "loss",
  width: 480,
  height: 300,
  series: [{ name: "loss", points: [[0, 1], [100, 0.3], [200, 0.2]] }],
});

Deno.test("svgToPng() writes a PNG of the chart's size", async () => {
  const path = await Deno.makeTempFile({ suffix: ".png" });
  try {
    assert.deepEqual(await svgToPng(chart, path), { width: 480, height: 300 });
    const meta = await sharp(path).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ["png", 480, 300]);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("svgToPngBytes() scales the image and renders the text", async () => {
  const bytes = await svgToPngBytes(chart, { scale: 2 });
  const meta = await sharp(bytes).metadata();
  assert.deepEqual([meta.width, meta.height], [960, 600]);
  // the title band is white apart from the rendered title text
  const band = await sharp(await svgToPngBytes(chart)).extract({
    left: 0,
    top: 8,
    width: 480,
    height: 22,
  })
    .greyscale().raw().toBuffer();
  const dark = band.filter((v) => v < 128).length;
  assert.ok(dark > 50, `expected title glyphs in the band, got ${dark} dark pixels`);
  await assert.rejects(() => svgToPngBytes(chart, { scale: 0 }), /scale 0/);
});
