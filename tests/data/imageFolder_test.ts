import assert from "node:assert/strict";
import { ImageFolderError, ImageReadError } from "../../src/data/errors.ts";
import {
  CELEBA_CROP,
  listImageFiles,
  loadImageFolder,
  readImage,
} from "../../src/data/imageFolder.ts";
import { tempDir, u } from "./_helpers.ts";
import { assertClose } from "../helpers/assert.ts";
import { writeImage } from "./_images.ts";

const solid = (rgb: readonly number[]) => () => rgb;

/** The pixels of image `i` of a dataset with `size` values per image. */
const imageAt = (images: Float32Array, i: number, size: number) =>
  images.subarray(i * size, (i + 1) * size);

Deno.test("loadImageFolder() labels by sub-folder, in sorted path order, with exact colours", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    for (const cls of ["dog", "bird", "cat"]) await Deno.mkdir(`${dir}/${cls}`);
    await Deno.mkdir(`${dir}/empty-class`);
    await Deno.mkdir(`${dir}/.hidden`);
    const files: [string, number[]][] = [
      ["dog/b.png", [200, 10, 10]],
      ["dog/a.webp", [10, 200, 10]],
      ["bird/z.PNG", [10, 10, 200]],
      ["cat/m.png", [255, 255, 0]],
      ["cat/sub/deeper.png", [0, 128, 255]],
      [".hidden/x.png", [1, 2, 3]],
    ];
    for (const [rel, rgb] of files) {
      if (rel.includes("sub/")) await Deno.mkdir(`${dir}/cat/sub`, { recursive: true });
      await writeImage(`${dir}/${rel}`, 12 + rel.length, 9, 3, solid(rgb));
    }
    await Deno.writeFile(`${dir}/cat/notes.txt`, new Uint8Array([1, 2]));
    const ds = await loadImageFolder(dir, { size: 4, labels: "subfolders" });
    assert.deepEqual(ds.classNames, ["bird", "cat", "dog"]);
    assert.deepEqual(ds.shape, { n: 5, height: 4, width: 4, channels: 3 });
    // Sorted relative paths: bird/z.PNG, cat/m.png, cat/sub/deeper.png, dog/a.webp, dog/b.png.
    assert.deepEqual(ds.labels, Int32Array.from([0, 1, 1, 2, 2]));
    const expected = [[10, 10, 200], [255, 255, 0], [0, 128, 255], [10, 200, 10], [200, 10, 10]];
    expected.forEach((rgb, i) => {
      const want = Array.from({ length: 16 }, () => rgb.map(u)).flat();
      assertClose(imageAt(ds.images, i, 48), want, { atol: 1e-6 }, `image ${i}`);
    });
    assert.equal(ds.source, `image-folder:${dir}`);
    const listed = await listImageFiles(dir, "subfolders");
    assert.deepEqual(listed.map((f) => f.relative), [
      "bird/z.PNG",
      "cat/m.png",
      "cat/sub/deeper.png",
      "dog/a.webp",
      "dog/b.png",
    ]);
    const limited = await loadImageFolder(dir, { size: 2, limit: 2 });
    assert.equal(limited.labels, null);
    assert.equal(limited.shape.n, 2);
  } finally {
    await cleanup();
  }
});

Deno.test("readImage() centre-crops before resizing (fixed size and square)", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    // 20×16 image: a red 10×10 centre (x 5..14, y 3..12) in a blue frame.
    const framed = `${dir}/framed.png`;
    await writeImage(
      framed,
      20,
      16,
      3,
      (x, y) => (x >= 5 && x < 15 && y >= 3 && y < 13 ? [255, 0, 0] : [0, 0, 255]),
    );
    const red = await readImage(framed, { size: 5, crop: { width: 10, height: 10 } });
    assert.deepEqual([red.height, red.width, red.channels], [5, 5, 3]);
    assert.deepEqual(red.data, Uint8Array.from({ length: 75 }, (_, i) => (i % 3 === 0 ? 255 : 0)));
    // Without the crop, blue shows at the border.
    const whole = await readImage(framed, { size: 5 });
    assert.ok(whole.data[2] as number > 100, "top-left pixel should be blue without a crop");
    // "square" keeps the centred 16×16 of a 32×16 image: x 8..23 here is green.
    const wide = `${dir}/wide.png`;
    await writeImage(wide, 32, 16, 3, (x) => (x >= 8 && x < 24 ? [0, 255, 0] : [255, 255, 255]));
    const green = await readImage(wide, { size: 4, crop: "square" });
    assert.deepEqual(
      green.data,
      Uint8Array.from({ length: 48 }, (_, i) => (i % 3 === 1 ? 255 : 0)),
    );
  } finally {
    await cleanup();
  }
});

Deno.test("readImage() keeps exact pixel positions for a crop without resizing", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const path = `${dir}/grad.png`;
    await writeImage(path, 12, 10, 1, (x, y) => [x * 20 + y]);
    const img = await readImage(path, {
      size: { height: 8, width: 8 },
      crop: { width: 8, height: 8 },
      channels: 1,
    });
    // Centre crop of 12×10 to 8×8 starts at x = 2, y = 1.
    const want = Uint8Array.from(
      { length: 64 },
      (_, i) => ((i % 8) + 2) * 20 + Math.floor(i / 8) + 1,
    );
    assert.deepEqual(img.data, want);
  } finally {
    await cleanup();
  }
});

Deno.test("readImage() converts colour: gray → RGB, RGB → gray, alpha onto black", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await writeImage(`${dir}/gray.png`, 6, 6, 1, solid([77]));
    const rgb = await readImage(`${dir}/gray.png`, { size: 3, channels: 3 });
    assert.deepEqual(rgb.data, new Uint8Array(27).fill(77));
    await writeImage(`${dir}/graycolour.png`, 6, 6, 3, solid([90, 90, 90]));
    const gray = await readImage(`${dir}/graycolour.png`, { size: 3, channels: 1 });
    assert.equal(gray.channels, 1);
    assertClose(gray.data, new Array(9).fill(90), { atol: 1 }, "gray");
    await writeImage(`${dir}/clear.png`, 6, 6, 4, solid([255, 255, 255, 0]));
    const black = await readImage(`${dir}/clear.png`, { size: 3 });
    assert.deepEqual(black.data, new Uint8Array(27));
    await writeImage(`${dir}/photo.jpg`, 16, 16, 3, solid([40, 160, 220]));
    const jpeg = await readImage(`${dir}/photo.jpg`, { size: 4 });
    assertClose(
      jpeg.data,
      Array.from({ length: 16 }, () => [40, 160, 220]).flat(),
      { atol: 3 },
      "jpeg",
    );
  } finally {
    await cleanup();
  }
});

Deno.test("loadImageFolder() errors name the path: missing, not a folder, empty, no class folder", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await assert.rejects(
      () => loadImageFolder(`${dir}/nope`, { size: 8 }),
      (e: unknown) =>
        e instanceof ImageFolderError && e.message === `image folder ${dir}/nope: does not exist`,
    );
    await Deno.writeTextFile(`${dir}/file.txt`, "x");
    await assert.rejects(
      () => loadImageFolder(`${dir}/file.txt`, { size: 8 }),
      /file\.txt: is not a directory/,
    );
    await Deno.mkdir(`${dir}/empty/sub`, { recursive: true });
    await Deno.writeTextFile(`${dir}/empty/sub/readme.md`, "x");
    await assert.rejects(
      () => loadImageFolder(`${dir}/empty`, { size: 8 }),
      new RegExp(`image folder ${dir}/empty: contains no images`),
    );
    await writeImage(`${dir}/empty/loose.png`, 4, 4, 3, solid([0, 0, 0]));
    await assert.rejects(
      () => loadImageFolder(`${dir}/empty`, { size: 8, labels: "subfolders" }),
      /loose\.png is not inside a class sub-folder/,
    );
  } finally {
    await cleanup();
  }
});

Deno.test("loadImageFolder() names an unreadable image and one too small for the crop", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await writeImage(`${dir}/a.png`, 150, 150, 3, solid([1, 2, 3]));
    await Deno.writeFile(`${dir}/b.png`, new TextEncoder().encode("not a png at all"));
    await assert.rejects(
      () => loadImageFolder(dir, { size: 8, crop: CELEBA_CROP }),
      (e: unknown) => {
        assert.ok(e instanceof ImageReadError);
        assert.equal(e.path, `${dir}/b.png`);
        assert.ok(e.message.startsWith(`cannot read image ${dir}/b.png: `), e.message);
        return true;
      },
    );
    await Deno.remove(`${dir}/b.png`);
    await writeImage(`${dir}/c.png`, 100, 160, 3, solid([1, 2, 3]));
    await assert.rejects(
      () => loadImageFolder(dir, { size: 8, crop: CELEBA_CROP }),
      new RegExp(`${dir}/c\\.png: image is 100×160, smaller than the 140×140 centre crop`),
    );
  } finally {
    await cleanup();
  }
});
