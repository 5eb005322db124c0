/**
 * The dataset stage's plan-time resolution: the data files' identity enters the cache key, and a
 * location that cannot be read is reported as a permission problem, naming what to change.
 */
import assert from "node:assert/strict";
import * as v from "valibot";
import { cacheKey, makeKeyComponents } from "../../src/core/cacheKey.ts";
import { DataPermissionDenied } from "../../src/data/errors.ts";
import { writeIdxImages, writeIdxLabels } from "../../src/data/idxWrite.ts";
import { listImageFiles } from "../../src/data/imageFolder.ts";
import { probePath } from "../../src/data/pathProbe.ts";
import { DatasetParams, datasetStage, resolveDatasetParams } from "../../src/stages/dataset.ts";
import { tempDir } from "./_helpers.ts";
import { writeImage } from "./_images.ts";

/** The dataset stage's cache key for `params` after plan-time resolution (code hash held fixed). */
const datasetKey = (params: v.InferInput<typeof DatasetParams>): string =>
  cacheKey(makeKeyComponents({
    name: datasetStage.name,
    version: datasetStage.version,
    code: "fixed",
    params: v.parse(DatasetParams, resolveDatasetParams(v.parse(DatasetParams, params))),
    inputs: {},
    seed: null,
    engine: null,
  }));

const gray = (value: number) => () => [value, value, value];

Deno.test("resolveDatasetParams() keeps an untouched image folder's key and changes it when a file is replaced", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    for (const name of ["a.png", "b.png", "sub/c.png"]) {
      await Deno.mkdir(`${dir}/sub`, { recursive: true });
      await writeImage(`${dir}/${name}`, 8, 8, 3, gray(100));
    }
    const params = { source: "folder", dir, size: 8 } as const;
    const first = datasetKey(params);
    assert.equal(datasetKey(params), first, "an untouched folder keeps its key");
    // Replace one image by another of the same size and name: written aside, renamed over it.
    await writeImage(`${dir}/.new.png`, 8, 8, 3, gray(200));
    await Deno.rename(`${dir}/.new.png`, `${dir}/b.png`);
    const replaced = datasetKey(params);
    assert.notEqual(replaced, first, "replacing a file changes the key");
    assert.equal(datasetKey(params), replaced);
    // Adding an image changes it too; a non-image file does not (it is not part of the data).
    await Deno.writeTextFile(`${dir}/notes.txt`, "not an image");
    assert.equal(datasetKey(params), replaced);
    await writeImage(`${dir}/d.png`, 8, 8, 3, gray(50));
    assert.notEqual(datasetKey(params), replaced);
  } finally {
    await cleanup();
  }
});

Deno.test("resolveDatasetParams() changes Fashion-MNIST's key when an IDX file is replaced", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const write = async (labels: number[]) => {
      for (const split of ["train", "t10k"]) {
        await writeIdxImages(`${dir}/${split}-images-idx3-ubyte.gz`, {
          n: 2,
          height: 28,
          width: 28,
          pixels: new Uint8Array(2 * 28 * 28).fill(7),
        }, { gzip: true });
      }
      await writeIdxLabels(`${dir}/.labels.tmp`, labels, { gzip: true });
      await Deno.rename(`${dir}/.labels.tmp`, `${dir}/train-labels-idx1-ubyte.gz`);
      await writeIdxLabels(`${dir}/t10k-labels-idx1-ubyte.gz`, [0, 1], { gzip: true });
    };
    await write([1, 2]);
    const params = { source: "fashion-mnist", dir } as const;
    const resolved = resolveDatasetParams(v.parse(DatasetParams, params));
    assert.ok(resolved.source === "fashion-mnist" && /^[0-9a-f]{64}$/.test(resolved.contents!));
    const first = datasetKey(params);
    assert.equal(datasetKey(params), first);
    await Deno.rename(`${dir}/train-labels-idx1-ubyte.gz`, `${dir}/old-labels.gz`);
    await writeIdxLabels(`${dir}/.labels.tmp`, [3, 4], { gzip: true });
    await Deno.rename(`${dir}/.labels.tmp`, `${dir}/train-labels-idx1-ubyte.gz`);
    assert.notEqual(datasetKey(params), first);
  } finally {
    await cleanup();
  }
});

Deno.test({
  name: "probePath() and the loaders report a path outside Deno's read permission as such",
  permissions: { read: ["/tmp"], env: true, ffi: true, sys: true },
  fn: async () => {
    const outside = "/etc";
    assert.throws(() => probePath(outside), (e: unknown) => {
      assert.ok(e instanceof DataPermissionDenied);
      assert.equal(e.by, "deno");
      assert.match(e.message, /cannot read \/etc: it is outside Deno's read permission/);
      assert.match(e.message, /--allow-read list of the `diffrun` task in deno\.json/);
      return true;
    });
    await assert.rejects(() => listImageFiles(outside), DataPermissionDenied);
    assert.throws(
      () =>
        resolveDatasetParams(v.parse(DatasetParams, { source: "folder", dir: outside, size: 8 })),
      DataPermissionDenied,
    );
    assert.throws(
      () => resolveDatasetParams(v.parse(DatasetParams, { source: "fashion-mnist", dir: outside })),
      DataPermissionDenied,
    );
    assert.equal(probePath("/tmp/diffrun-surely-missing-path"), "missing");
  },
});
