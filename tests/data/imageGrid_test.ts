import assert from "node:assert/strict";
import sharp from "sharp";
import { DataOptionError, ImageReadError } from "../../src/data/errors.ts";
import {
  gridLayout,
  makeImageGrid,
  readPng,
  writeImageGrid,
  writePng,
} from "../../src/data/imageGrid.ts";
import { tempDir, u } from "./_helpers.ts";

/** n solid images of h×w×c; image i has value values[i] everywhere. */
function solidBatch(values: number[], h: number, w: number, c: number) {
  const images = new Float32Array(values.length * h * w * c);
  values.forEach((v, i) => images.fill(v, i * h * w * c, (i + 1) * h * w * c));
  return { images, shape: { n: values.length, height: h, width: w, channels: c } };
}

Deno.test("gridLayout() picks a near-square grid and sizes it with padding and scale", () => {
  const shape = { n: 10, height: 28, width: 28, channels: 1 };
  assert.deepEqual(gridLayout(shape), {
    rows: 3,
    cols: 4,
    padding: 1,
    scale: 1,
    height: 3 * 28 + 4,
    width: 4 * 28 + 5,
  });
  const l = gridLayout(shape, { cols: 5, scale: 3, padding: 2 });
  assert.deepEqual([l.rows, l.cols, l.height, l.width], [2, 5, 2 * 84 + 3 * 2, 5 * 84 + 6 * 2]);
  assert.deepEqual([gridLayout(shape, { rows: 1 }).cols, gridLayout(shape, { rows: 1 }).rows], [
    10,
    1,
  ]);
  assert.throws(() => gridLayout(shape, { scale: 1.5 }), DataOptionError);
});

Deno.test("writeImageGrid() writes a grayscale PNG with the expected size and pixels", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    // Three 2×3 gray images (-1, 0, 2 → clipped to 1) in 2 columns, scale 2, padding 1, pad 0.5.
    const batch = solidBatch([-1, 0, 2], 2, 3, 1);
    const path = `${dir}/grid.png`;
    const grid = await writeImageGrid(path, batch, {
      cols: 2,
      scale: 2,
      padding: 1,
      padValue: 0.5,
    });
    const width = 2 * 6 + 3;
    const height = 2 * 4 + 3;
    assert.deepEqual([grid.width, grid.height, grid.channels], [width, height, 1]);
    const meta = await sharp(path).metadata();
    assert.deepEqual([meta.width, meta.height, meta.channels, meta.format], [
      width,
      height,
      1,
      "png",
    ]);
    const back = await readPng(path);
    assert.deepEqual([back.width, back.height, back.channels], [width, height, 1]);
    const at = (x: number, y: number) => back.data[y * width + x];
    const pad = u(191); // 0.5 → round(1.5 × 127.5) = 191
    assert.equal(at(0, 0), pad);
    assert.equal(at(1, 1), -1); // first cell starts at (1, 1)
    assert.equal(at(6, 4), -1); // its last pixel: x = 1 + 6 - 1, y = 1 + 4 - 1
    assert.equal(at(7, 1), pad); // the column gap
    assert.equal(at(8, 1), u(128)); // second cell, value 0 → 128
    assert.equal(at(1, 6), 1); // third cell (row 2), 2 clipped to 1
    assert.equal(at(8, 6), pad); // the empty fourth cell
  } finally {
    await cleanup();
  }
});

Deno.test("makeImageGrid() keeps RGB channels and upscales by nearest neighbour", () => {
  // One 2×2 RGB image with four distinct colours, scale 3, no padding.
  const img = Float32Array.from([-1, -1, -1, 1, -1, -1, -1, 1, -1, -1, -1, 1]);
  const grid = makeImageGrid({ images: img, shape: { n: 1, height: 2, width: 2, channels: 3 } }, {
    scale: 3,
    padding: 0,
  });
  assert.deepEqual([grid.width, grid.height, grid.channels], [6, 6, 3]);
  const px = (
    x: number,
    y: number,
  ) => [...grid.data.subarray((y * 6 + x) * 3, (y * 6 + x) * 3 + 3)];
  assert.deepEqual(px(0, 0), [0, 0, 0]);
  assert.deepEqual(px(2, 2), [0, 0, 0]);
  assert.deepEqual(px(3, 0), [255, 0, 0]);
  assert.deepEqual(px(5, 2), [255, 0, 0]);
  assert.deepEqual(px(0, 3), [0, 255, 0]);
  assert.deepEqual(px(5, 5), [0, 0, 255]);
  // NaN becomes black rather than garbage.
  const nan = makeImageGrid(solidBatch([NaN], 1, 1, 1), { padding: 0 });
  assert.deepEqual([...nan.data], [0]);
});

Deno.test("writePng() and readPng() round-trip an RGB image exactly at byte precision", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const data = Float32Array.from({ length: 5 * 4 * 3 }, (_, i) => u((i * 41) % 256));
    await writePng(`${dir}/one.png`, { data, height: 5, width: 4, channels: 3 });
    const back = await readPng(`${dir}/one.png`);
    assert.deepEqual([back.height, back.width, back.channels], [5, 4, 3]);
    assert.deepEqual(back.data, data);
    await assert.rejects(() => readPng(`${dir}/missing.png`), ImageReadError);
  } finally {
    await cleanup();
  }
});
