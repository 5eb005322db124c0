import assert from "node:assert/strict";
import { classCounts } from "../../src/data/dataset.ts";
import { DataOptionError } from "../../src/data/errors.ts";
import { generateShapes, SHAPE_KINDS } from "../../src/data/procedural.ts";

const bytesOf = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

Deno.test("generateShapes() gives the same bytes for the same seed and different ones otherwise", () => {
  const a = generateShapes({ n: 64, seed: 42 });
  const b = generateShapes({ n: 64, seed: 42 });
  const c = generateShapes({ n: 64, seed: 43 });
  assert.deepEqual(bytesOf(a.images), bytesOf(b.images));
  assert.deepEqual(a.labels, b.labels);
  assert.notDeepEqual(bytesOf(a.images), bytesOf(c.images));
});

Deno.test("generateShapes() is prefix-stable: the first m of n images equal the m-image dataset", () => {
  const small = generateShapes({ n: 10, seed: 7, size: 16, channels: 1 });
  const large = generateShapes({ n: 30, seed: 7, size: 16, channels: 1 });
  assert.deepEqual(large.images.subarray(0, small.images.length), small.images);
  assert.deepEqual(large.labels?.subarray(0, 10), small.labels);
});

Deno.test("generateShapes() balances classes and names them by shape kind", () => {
  const ds = generateShapes({ n: 603, seed: 1, size: 16 });
  assert.deepEqual(ds.classNames, [...SHAPE_KINDS]);
  assert.deepEqual(classCounts(ds), [101, 101, 101, 100, 100, 100]);
  const two = generateShapes({ n: 10, seed: 1, kinds: ["ring", "cross"] });
  assert.deepEqual(two.classNames, ["ring", "cross"]);
  assert.deepEqual(classCounts(two), [5, 5]);
});

Deno.test("generateShapes() stays in [-1, 1], with a visible shape on a darker background", () => {
  for (const channels of [1, 3] as const) {
    const size = 24;
    const ds = generateShapes({ n: 120, seed: 5, size, channels });
    assert.deepEqual(ds.shape, { n: 120, height: size, width: size, channels });
    assert.equal(ds.images.length, 120 * size * size * channels);
    const stride = size * size * channels;
    for (let i = 0; i < 120; i++) {
      const img = ds.images.subarray(i * stride, (i + 1) * stride);
      let min = Infinity;
      let max = -Infinity;
      for (const v of img) {
        assert.ok(v >= -1 && v <= 1, `value ${v} out of range in image ${i}`);
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      assert.ok(max - min > 0.4, `image ${i} has too little contrast (${min}..${max})`);
      // The border row is background: no shape touches the image edge.
      const corner = img[0] as number;
      assert.ok(corner < -0.4, `image ${i}: corner ${corner} is not dark background`);
    }
  }
});

Deno.test("generateShapes() makes classes differ in mean image (a learnable signal)", () => {
  const ds = generateShapes({ n: 600, seed: 9, size: 16, channels: 1 });
  // Fraction of bright (shape) pixels per class: rings and crosses cover less than squares.
  const cover = new Array<number>(6).fill(0);
  for (let i = 0; i < 600; i++) {
    const img = ds.images.subarray(i * 256, (i + 1) * 256);
    const label = ds.labels?.[i] as number;
    cover[label] = (cover[label] ?? 0) + img.filter((v) => v > 0).length / 256 / 100;
  }
  const [, square, , cross, ring] = cover as [number, number, number, number, number, number];
  assert.ok(
    square > cross && square > ring,
    `coverage by class: ${cover.map((c) => c.toFixed(3))}`,
  );
});

Deno.test("generateShapes() generates thousands of images per second", () => {
  const t0 = performance.now();
  generateShapes({ n: 4000, seed: 3, size: 32 });
  const perSecond = 4000 / ((performance.now() - t0) / 1000);
  assert.ok(perSecond > 2000, `only ${perSecond.toFixed(0)} images/s`);
});

Deno.test("generateShapes() rejects bad options by name", () => {
  const bad: [Parameters<typeof generateShapes>[0], RegExp][] = [
    [{ n: -1, seed: 0 }, /option "n"/],
    [{ n: 1, seed: 1.5 }, /option "seed"/],
    [{ n: 1, seed: 0, size: 4 }, /option "size" must be an integer in 8\.\.128/],
    [{ n: 1, seed: 0, kinds: [] }, /option "kinds"/],
    [{ n: 1, seed: 0, kinds: ["circle", "circle"] }, /lists a shape twice/],
    [{ n: 1, seed: 0, kinds: ["hexagon" as "circle"] }, /unknown shape "hexagon"/],
  ];
  for (const [opts, re] of bad) {
    assert.throws(
      () => generateShapes(opts),
      (e: unknown) => e instanceof DataOptionError && re.test(e.message),
    );
  }
});
