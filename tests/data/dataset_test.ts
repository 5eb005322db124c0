import assert from "node:assert/strict";
import {
  byteToUnit,
  checkDataset,
  type Dataset,
  numClasses,
  padImages,
  subsetDataset,
  takeFirst,
  unitToByte,
} from "../../src/data/dataset.ts";
import { DataOptionError } from "../../src/data/errors.ts";

const tiny: Dataset = {
  images: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]),
  labels: Int32Array.from([1, 0]),
  shape: { n: 2, height: 2, width: 2, channels: 1 },
  classNames: ["a", "b"],
  source: "tiny",
};

Deno.test("byteToUnit() and unitToByte() map 0..255 onto [-1, 1] and back exactly", () => {
  assert.equal(byteToUnit(0), -1);
  assert.equal(byteToUnit(255), 1);
  for (let b = 0; b < 256; b++) assert.equal(unitToByte(Math.fround(byteToUnit(b))), b);
  assert.deepEqual([unitToByte(-3), unitToByte(7), unitToByte(NaN)], [0, 255, 0]);
});

Deno.test("padImages() centres images in a larger frame filled with -1", () => {
  const padded = padImages(tiny, 4, 4);
  assert.deepEqual(padded.shape, { n: 2, height: 4, width: 4, channels: 1 });
  assert.deepEqual([...padded.images.subarray(16, 32)], [
    ...[-1, -1, -1, -1],
    ...[-1, 5, 6, -1],
    ...[-1, 7, 8, -1],
    ...[-1, -1, -1, -1],
  ]);
  assert.throws(() => padImages(tiny, 1, 4), DataOptionError);
});

Deno.test("subsetDataset() and takeFirst() copy the chosen images and labels", () => {
  const sub = subsetDataset(tiny, [1, 1, 0]);
  assert.deepEqual([...sub.images], [5, 6, 7, 8, 5, 6, 7, 8, 1, 2, 3, 4]);
  assert.deepEqual([...(sub.labels ?? [])], [0, 0, 1]);
  assert.throws(() => subsetDataset(tiny, [2]), /index 2 outside \[0, 2\) of tiny/);
  assert.deepEqual(takeFirst(tiny, 1).images, Float32Array.from([1, 2, 3, 4]));
  assert.equal(takeFirst(tiny, 5), tiny);
});

Deno.test("checkDataset() rejects inconsistent lengths and labels", () => {
  assert.equal(checkDataset(tiny), tiny);
  assert.equal(numClasses(tiny), 2);
  assert.throws(
    () => checkDataset({ ...tiny, images: new Float32Array(7) }),
    /option "images" has 7 values/,
  );
  assert.throws(
    () => checkDataset({ ...tiny, labels: Int32Array.from([0, 2]) }),
    /entry 1 is 2, outside \[0, 2\)/,
  );
});
