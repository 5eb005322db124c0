/**
 * The dataset stage: loads or generates images once, splits them into train and test, and
 * stores them as tensors so every downstream stage (classifier, each training arm) reads the
 * same bytes.
 *
 * Sources: the built-in procedural shapes, Fashion-MNIST IDX files, or any image folder. File
 * locations are resolved at plan time by `resolveDatasetParams` (pipelines call it in build), so
 * a missing or unreadable folder is reported before anything runs, and the resolved path and the
 * files' identity (`contents`, fingerprint.ts) enter the cache key: replacing the files inside a
 * data folder re-runs the stage.
 */
import * as v from "valibot";
import * as Effect from "effect/Effect";
import { defineStage } from "../core/stage.ts";
import { datasetCodec } from "./codecs.ts";
import { generateShapes } from "../data/procedural.ts";
import { findFashionMnistFiles, loadFashionMnist } from "../data/fashionMnist.ts";
import { DatasetNotFound } from "../data/errors.ts";
import { basename, resolve } from "node:path";
import { listImageFilesSync, loadImageFolder } from "../data/imageFolder.ts";
import { filesIdentity } from "../data/fingerprint.ts";
import { probePath } from "../data/pathProbe.ts";
import { trainTestSplit } from "../data/batching.ts";
import { padImages, takeFirst } from "../data/dataset.ts";
import { Int } from "../core/schemas.ts";

/** Filled at plan time by `resolveDatasetParams` (any value given is replaced): the identity of
 * the data files (fingerprint.ts), so that it enters the cache key. */
const Contents = v.optional(v.string());

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
    /** The directory holding the IDX files; "" = $FASHION_MNIST_DIR, else Debian's location. */
    dir: v.string(),
    contents: Contents,
    trainLimit: v.optional(Int(1)),
    testLimit: v.optional(Int(1)),
    pad32: v.optional(v.boolean(), false),
  }),
  v.strictObject({
    source: v.literal("folder"),
    dir: v.string(),
    contents: Contents,
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

type ResolvedParams = v.InferOutput<typeof DatasetParams>;

/**
 * Plan-time resolution of a dataset's files (pipelines' `build` is synchronous, hence synchronous
 * stats): the directory made absolute and the files' identity put in `contents`. Fashion-MNIST:
 * the given `dir`, else $FASHION_MNIST_DIR, else Debian's location, never a silent fall-back
 * (fashionMnist.ts). Throws `DatasetNotFound` naming the place and what is missing there, or
 * `DataPermissionDenied` naming the path and the flag to change, so a dataset that cannot be
 * read stops the plan before anything runs.
 */
export function resolveDatasetParams(data: ResolvedParams): ResolvedParams {
  if (data.source === "fashion-mnist") {
    const found = findFashionMnistFiles(data.dir === "" ? {} : { dir: data.dir }, [
      "train",
      "test",
    ]);
    const dir = resolve(found.train!.dir);
    const names = [found.train!, found.test!].flatMap((
      f,
    ) => [basename(f.images), basename(f.labels)]);
    return { ...data, dir, contents: filesIdentity(dir, names) };
  }
  if (data.source === "folder") {
    const dir = resolveImageFolder(data.dir);
    const files = listImageFilesSync(dir, data.labels);
    return { ...data, dir, contents: filesIdentity(dir, files.map((f) => f.relative)) };
  }
  return data;
}

/** Plan-time check of an image folder: it must exist and be a directory; returns it absolute. */
export const resolveImageFolder = (dir: string): string => {
  if (probePath(dir) !== "directory") {
    throw new DatasetNotFound("image-folder", [{
      place: dir,
      problem: "does not exist or is not a directory",
    }], "Pass the folder of your images (PNG, JPEG or WebP; one sub-folder per class for labels).");
  }
  return resolve(dir);
};
