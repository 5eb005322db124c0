/**
 * The dataset stage: loads or generates images once, splits them into train and test, and
 * stores them as tensors so every downstream stage (classifier, each training arm) reads the
 * same bytes.
 *
 * Sources: the built-in procedural shapes, Fashion-MNIST IDX files, or any image folder. File
 * locations are resolved at plan time by `resolveDatasetSource` (pipelines call it in build), so
 * a missing folder is reported before anything runs and the resolved path enters the cache key.
 */
import * as v from "valibot";
import * as Effect from "effect/Effect";
import { defineStage } from "../core/stage.ts";
import { datasetCodec } from "./codecs.ts";
import { generateShapes } from "../data/procedural.ts";
import {
  fashionMnistFileNames,
  fashionMnistSearchDirs,
  loadFashionMnist,
} from "../data/fashionMnist.ts";
import { DatasetNotFound } from "../data/errors.ts";
import { resolve } from "node:path";
import { loadImageFolder } from "../data/imageFolder.ts";
import { trainTestSplit } from "../data/batching.ts";
import { padImages, takeFirst } from "../data/dataset.ts";
import { Int } from "../core/schemas.ts";

export const DatasetParams = v.variant("source", [
  v.strictObject({
    source: v.literal("shapes"),
    /** Images in total (train + test). */
    n: Int(1),
    size: v.optional(v.pipe(v.number(), v.integer(), v.minValue(8), v.maxValue(128)), 16),
    channels: v.optional(v.picklist([1, 3]), 3),
    testFraction: v.optional(v.pipe(v.number(), v.minValue(0.01), v.maxValue(0.9)), 0.2),
    seed: v.optional(Int(0), 0),
  }),
  v.strictObject({
    source: v.literal("fashion-mnist"),
    /** The resolved directory holding the IDX files. */
    dir: v.string(),
    trainLimit: v.optional(Int(1)),
    testLimit: v.optional(Int(1)),
    pad32: v.optional(v.boolean(), false),
  }),
  v.strictObject({
    source: v.literal("folder"),
    dir: v.string(),
    size: v.pipe(v.number(), v.integer(), v.minValue(8), v.maxValue(512)),
    /** Centre crop before resizing: a square side in pixels (e.g. 140 for CelebA), or "square". */
    crop: v.optional(
      v.union([Int(1), v.literal("square")]),
      "square",
    ),
    channels: v.optional(v.picklist([1, 3]), 3),
    labels: v.optional(v.picklist(["none", "subfolders"]), "none"),
    limit: v.optional(Int(1)),
    testFraction: v.optional(v.pipe(v.number(), v.minValue(0.01), v.maxValue(0.9)), 0.1),
    seed: v.optional(Int(0), 0),
  }),
]);
export type DatasetParams = v.InferInput<typeof DatasetParams>;

export const datasetStage = defineStage({
  name: "dataset",
  version: "1",
  module: import.meta.url,
  params: DatasetParams,
  inputs: [],
  output: datasetCodec,
  // the data depend only on the params (which carry their own seed), not on the experiment seed
  seeded: false,
  run: (ctx, p) =>
    Effect.tryPromise({
      try: async () => {
        if (p.source === "shapes") {
          const all = generateShapes({ n: p.n, seed: p.seed, size: p.size, channels: p.channels });
          return trainTestSplit(all, {
            seed: p.seed,
            testFraction: p.testFraction,
            stratify: true,
          });
        }
        if (p.source === "fashion-mnist") {
          const load = async (split: "train" | "test", limit: number | undefined) => {
            const ds = takeFirst(await loadFashionMnist({ dir: p.dir, split }), limit);
            return p.pad32 ? padImages(ds, 32, 32) : ds;
          };
          return {
            train: await load("train", p.trainLimit),
            test: await load("test", p.testLimit),
          };
        }
        const crop = p.crop === "square" ? "square" as const : { width: p.crop, height: p.crop };
        const all = await loadImageFolder(p.dir, {
          size: p.size,
          crop,
          channels: p.channels,
          labels: p.labels,
          ...(p.limit === undefined ? {} : { limit: p.limit }),
        });
        return trainTestSplit(all, {
          seed: p.seed,
          testFraction: p.testFraction,
          stratify: p.labels === "subfolders",
        });
      },
      catch: (e) => e,
    }).pipe(
      Effect.tap((d) =>
        ctx.info(
          `${d.train.source}: ${d.train.shape.n} train, ${d.test.shape.n} test, ${d.train.shape.height}×${d.train.shape.width}×${d.train.shape.channels}`,
        )
      ),
    ),
});

/**
 * Plan-time resolution of Fashion-MNIST's directory (pipelines' `build` is synchronous, hence
 * synchronous stats): the explicit directory, else $FASHION_MNIST_DIR, else Debian's location.
 * Throws `DatasetNotFound` listing every place looked at and how to get the files, so a missing
 * dataset is a plan error, before anything runs.
 */
export const resolveFashionMnistDir = (dir: string | undefined): string => {
  const isFile = (path: string) => {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false;
    }
  };
  const searched: { place: string; problem: string }[] = [];
  for (const { dir: d, origin } of fashionMnistSearchDirs(dir === undefined ? {} : { dir })) {
    const missing = (["train", "test"] as const).flatMap((split) =>
      (["images", "labels"] as const).filter((kind) =>
        !fashionMnistFileNames(split, kind).some((n) => isFile(`${d}/${n}`))
      )
        .map((kind) => `${fashionMnistFileNames(split, kind)[0]}(.gz)`)
    );
    if (missing.length === 0) return resolve(d);
    searched.push({
      place: `${d} (${origin === "system" ? "system location" : `from ${origin}`})`,
      problem: `no ${missing.join(", no ")}`,
    });
  }
  throw new DatasetNotFound("Fashion-MNIST", searched, FASHION_MNIST_HINT_TEXT);
};

const FASHION_MNIST_HINT_TEXT =
  "Install it with `apt-get install dataset-fashion-mnist`, or point FASHION_MNIST_DIR (or the experiment's data dir) at a folder holding the four IDX files.";

/** Plan-time check of an image folder: it must exist and be a directory. */
export const resolveImageFolder = (dir: string): string => {
  let ok = false;
  try {
    ok = Deno.statSync(dir).isDirectory;
  } catch {
    // reported below
  }
  if (!ok) {
    throw new DatasetNotFound("image-folder", [{
      place: dir,
      problem: "does not exist or is not a directory",
    }], "Pass the folder of your images (PNG, JPEG or WebP; one sub-folder per class for labels).");
  }
  return resolve(dir);
};
