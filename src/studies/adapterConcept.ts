/**
 * The adapter study's target task (b), DreamBooth-style (docs/adapters.md): one class is held
 * out of pretraining, so its condition token (its rows of the class and context embeddings) is
 * never trained — a new token. Adapters then learn the concept from a handful of its images under
 * that token, with prior preservation: every tuning batch also holds images of the other classes
 * under their own labels, so the adapter must learn the concept without forgetting the rest.
 *
 *   part "source": the dataset without the concept class (what the base is pretrained on);
 *   part "target": train = `shots` concept images, each repeated so that they make about half of
 *   the images, plus `priorImages` images of the other classes; test = the concept's test images.
 *
 * Deviation from DreamBooth: the prior images are real images of the other classes, not samples
 * of the base model (saves a sampling pass; the purpose, keeping the prior, is the same).
 */
import * as v from "valibot";
import * as Effect from "effect/Effect";
import { defineStage } from "../core/stage.ts";
import { datasetCodec, type DatasetSplits } from "../stages/codecs.ts";
import { type Dataset, numClasses, subsetDataset } from "../data/dataset.ts";
import { Int } from "../core/schemas.ts";

export const ConceptDataParams = v.strictObject({
  part: v.picklist(["source", "target"]),
  /** The held-out class, learned as the new concept. */
  concept: Int(0),
  shots: v.optional(Int(1), 8),
  priorImages: v.optional(Int(0), 400),
  testImages: v.optional(Int(1), 1000),
});
export type ConceptDataParams = v.InferInput<typeof ConceptDataParams>;

const indicesWhere = (ds: Dataset, keep: (label: number) => boolean): number[] => {
  const out: number[] = [];
  ds.labels!.forEach((l, i) => {
    if (keep(l)) out.push(i);
  });
  return out;
};

/** The source or target part of task (b) (see the module header). */
export const conceptSplits = (
  data: DatasetSplits,
  p: v.InferOutput<typeof ConceptDataParams>,
): DatasetSplits => {
  const { train, test } = data;
  if (train.labels === null || test.labels === null) {
    throw new Error("the concept task needs a labelled dataset");
  }
  const classes = numClasses(train);
  if (p.concept >= classes) {
    throw new Error(`concept class ${p.concept} does not exist (classes 0..${classes - 1})`);
  }
  const others = (ds: Dataset) => indicesWhere(ds, (l) => l !== p.concept);
  const concept = (ds: Dataset) => indicesWhere(ds, (l) => l === p.concept);
  if (p.part === "source") {
    return {
      train: subsetDataset(train, others(train), `${train.source} without class ${p.concept}`),
      test: subsetDataset(test, others(test), `${test.source} without class ${p.concept}`),
    };
  }
  const shots = concept(train).slice(0, p.shots);
  if (shots.length < p.shots) {
    throw new Error(`class ${p.concept} has only ${shots.length} training images`);
  }
  const prior = others(train).slice(0, p.priorImages);
  const repeat = Math.max(1, Math.round(prior.length / shots.length));
  const tuning = [...Array.from({ length: repeat }, () => shots).flat(), ...prior];
  return {
    train: subsetDataset(
      train,
      tuning,
      `${train.source}: ${p.shots} images of class ${p.concept} ×${repeat} + ${prior.length} prior`,
    ),
    test: subsetDataset(
      test,
      concept(test).slice(0, p.testImages),
      `${test.source}: class ${p.concept}`,
    ),
  };
};

export const conceptDataStage = defineStage({
  name: "adapter-concept-data",
  version: "1",
  module: import.meta.url,
  params: ConceptDataParams,
  inputs: ["dataset"],
  output: datasetCodec,
  seeded: false,
  run: (ctx, p, inputs: { dataset: DatasetSplits }) =>
    Effect.gen(function* () {
      const out = yield* Effect.try({
        try: () => conceptSplits(inputs.dataset, p),
        catch: (e) => e,
      });
      yield* ctx.info(`${out.train.source}: ${out.train.shape.n} train, ${out.test.shape.n} test`);
      return out;
    }),
});
