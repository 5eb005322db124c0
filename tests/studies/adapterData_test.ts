import assert from "node:assert/strict";
import { rotate90, shiftDataset } from "../../src/studies/adapterData.ts";
import { conceptSplits } from "../../src/studies/adapterConcept.ts";
import type { Dataset } from "../../src/data/dataset.ts";

const tiny = (labels: number[], size = 2): Dataset => ({
  images: Float32Array.from({ length: labels.length * size * size }, (_, i) => i / 100),
  labels: Int32Array.from(labels),
  shape: { n: labels.length, height: size, width: size, channels: 1 },
  classNames: ["a", "b", "c"],
  source: "tiny",
});

Deno.test("rotate90() turns a 2×2 image a b / c d into b d / a c (counter-clockwise)", () => {
  const out = rotate90(Float32Array.from([1, 2, 3, 4]), 1, 2, 1);
  assert.deepEqual(Array.from(out), [2, 4, 1, 3]);
  // four turns are the identity; channels move together
  const rgb = Float32Array.from({ length: 3 * 3 * 2 }, (_, i) => i);
  let r: Float32Array = rgb;
  for (let i = 0; i < 4; i++) r = rotate90(r, 1, 3, 2);
  assert.deepEqual(Array.from(r), Array.from(rgb));
  assert.deepEqual(Array.from(rotate90(rgb, 1, 3, 2).subarray(0, 2)), [4, 5]); // pixel (0,2) → (0,0)
});

Deno.test("shiftDataset() inverts values and keeps labels", () => {
  const ds = tiny([0, 1]);
  const inv = shiftDataset(ds, "invert");
  inv.images.forEach((x, i) => assert.equal(x, -ds.images[i]!));
  assert.ok(inv.images[2]! < 0);
  assert.equal(inv.labels, ds.labels);
  assert.match(inv.source, /\+invert$/);
});

Deno.test("conceptSplits() holds the concept out of the source and mixes shots with prior images", () => {
  const train = tiny([0, 1, 2, 1, 0, 1, 2, 0]);
  const test = tiny([1, 0, 1, 2]);
  const source = conceptSplits({ train, test }, {
    part: "source",
    concept: 1,
    shots: 2,
    priorImages: 4,
    testImages: 10,
  });
  assert.deepEqual(Array.from(source.train.labels!), [0, 2, 0, 2, 0]);
  assert.deepEqual(Array.from(source.test.labels!), [0, 2]);
  const target = conceptSplits({ train, test }, {
    part: "target",
    concept: 1,
    shots: 2,
    priorImages: 4,
    testImages: 10,
  });
  // 2 shots (train images 1 and 3) repeated 4 / 2 = 2 times, then 4 prior images
  assert.deepEqual(Array.from(target.train.labels!), [1, 1, 1, 1, 0, 2, 0, 2]);
  assert.equal(target.train.images[0], train.images[4]); // image 1 starts at value 4
  assert.deepEqual(Array.from(target.test.labels!), [1, 1]);
  assert.throws(
    () =>
      conceptSplits({ train, test }, {
        part: "target",
        concept: 1,
        shots: 5,
        priorImages: 0,
        testImages: 1,
      }),
    /class 1 has only 3 training images/,
  );
});
