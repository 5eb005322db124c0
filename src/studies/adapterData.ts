/**
 * The adapter study's target task (a), a shifted domain (docs/adapters.md): the base model is
 * pretrained on the source images; adapters are tuned on a transformed copy (rotated by 90° or
 * inverted), few images, same classes. The transformed test split is the evaluation domain.
 */
import * as v from "valibot";
import * as Effect from "effect/Effect";
import { defineStage } from "../core/stage.ts";
import { datasetCodec, type DatasetSplits } from "../stages/codecs.ts";
import { type Dataset, takeFirst } from "../data/dataset.ts";
import { Int } from "../core/schemas.ts";

export const SHIFTS = ["rotate90", "invert", "none"] as const;
export type Shift = (typeof SHIFTS)[number];

/** Rotates square NHWC images by 90° counter-clockwise: out[y][x] = in[x][W-1-y]. */
export const rotate90 = (
  images: Float32Array,
  n: number,
  size: number,
  c: number,
): Float32Array => {
  const out = new Float32Array(images.length);
  const per = size * size * c;
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const src = i * per + (x * size + (size - 1 - y)) * c;
        const dst = i * per + (y * size + x) * c;
        for (let k = 0; k < c; k++) out[dst + k] = images[src + k]!;
      }
    }
  }
  return out;
};

/** The shifted copy of one split (values stay in [-1, 1]). */
export const shiftDataset = (ds: Dataset, shift: Shift): Dataset => {
  const { n, height, width, channels } = ds.shape;
  if (shift === "none") return ds;
  if (shift === "rotate90" && height !== width) {
    throw new Error(`rotate90 needs square images, got ${height}×${width}`);
  }
  const images = shift === "invert"
    ? ds.images.map((x) => -x)
    : rotate90(ds.images, n, height, channels);
  return { ...ds, images, source: `${ds.source}+${shift}` };
};

export const TargetDomainParams = v.strictObject({
  shift: v.picklist(SHIFTS),
  /** Tuning images (the first ones of the train split). */
  trainImages: Int(1),
  /** Evaluation images (the first ones of the test split). */
  testImages: Int(1),
});

export const targetDomainStage = defineStage({
  name: "adapter-target-domain",
  version: "1",
  module: import.meta.url,
  params: TargetDomainParams,
  inputs: ["dataset"],
  output: datasetCodec,
  seeded: false,
  run: (ctx, p, inputs: { dataset: DatasetSplits }) =>
    Effect.gen(function* () {
      const train = shiftDataset(takeFirst(inputs.dataset.train, p.trainImages), p.shift);
      const test = shiftDataset(takeFirst(inputs.dataset.test, p.testImages), p.shift);
      yield* ctx.info(`target domain ${p.shift}: ${train.shape.n} train, ${test.shape.n} test`);
      return { train, test } satisfies DatasetSplits;
    }),
});
