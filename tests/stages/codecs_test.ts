import assert from "node:assert/strict";
import * as v from "valibot";
import { datasetCodec, jsonWithFiles, modelCodec } from "../../src/stages/codecs.ts";
import { generateShapes } from "../../src/data/procedural.ts";
import { trainTestSplit } from "../../src/data/batching.ts";
import { CodecError } from "../../src/core/codec.ts";

Deno.test("datasetCodec round-trips train and test splits exactly", async () => {
  const dir = await Deno.makeTempDir();
  const splits = trainTestSplit(generateShapes({ n: 40, seed: 3, size: 16, channels: 3 }), {
    seed: 1,
    testFraction: 0.25,
    stratify: true,
  });
  await datasetCodec.write(splits, dir);
  const back = await datasetCodec.read(dir);
  assert.deepEqual(back.train.shape, splits.train.shape);
  assert.deepEqual(back.test.shape, splits.test.shape);
  assert.deepEqual(back.train.images, splits.train.images);
  assert.deepEqual(back.test.labels, splits.test.labels);
  assert.deepEqual(back.train.classNames, splits.train.classNames);
});

Deno.test("modelCodec validates the config it reads back", async () => {
  const dir = await Deno.makeTempDir();
  const codec = modelCodec(v.strictObject({ widths: v.array(v.number()) }));
  const params = { "a.w": { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) } };
  await codec.write({
    kind: "unet",
    config: { widths: [8, 16] },
    params,
    ema: params,
    info: { parameters: 4 },
  }, dir);
  const back = await codec.read(dir);
  assert.deepEqual(back.config, { widths: [8, 16] });
  assert.deepEqual(back.params["a.w"]!.data, new Float32Array([1, 2, 3, 4]));
  assert.ok(back.ema !== null);
  const raw = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
  raw.config.widths = "wide";
  await Deno.writeTextFile(`${dir}/model.json`, JSON.stringify(raw));
  await assert.rejects(
    () => codec.read(dir),
    (e) => e instanceof CodecError && /config/.test(e.message),
  );
});

Deno.test("jsonWithFiles moves the stage's files and validates its record", async () => {
  const scratch = await Deno.makeTempDir();
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${scratch}/grid.png`, "png bytes");
  const codec = jsonWithFiles(v.strictObject({ fd: v.number() }));
  await codec.write({ data: { fd: 1.5 }, dir: scratch }, dir);
  const back = await codec.read(dir);
  assert.deepEqual(back.data, { fd: 1.5 });
  assert.equal(await Deno.readTextFile(`${back.dir}/grid.png`), "png bytes");
  await assert.rejects(() => codec.write({ data: { fd: "x" } as never, dir: scratch }, dir), /fd/);
});

Deno.test("rotated() turns images by k·90° and labels them with k", async () => {
  const { rotated } = await import("../../src/stages/classifier.ts");
  // one 2×2 image [[a, b], [c, d]], repeated 64 times so every k appears
  const n = 64;
  const images = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) images.set([1, 2, 3, 4], i * 4);
  const { images: out, labels } = rotated(images, n, 2, 1, 7);
  const expected: Record<number, number[]> = {
    0: [1, 2, 3, 4],
    1: [2, 4, 1, 3],
    2: [4, 3, 2, 1],
    3: [3, 1, 4, 2],
  };
  for (let i = 0; i < n; i++) {
    assert.deepEqual(Array.from(out.subarray(i * 4, i * 4 + 4)), expected[labels[i]!]);
  }
  assert.equal(new Set(labels).size, 4);
});
