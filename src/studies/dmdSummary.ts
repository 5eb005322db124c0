/** One DMD arm's headline numbers for summary.md and `diffrun compare`. */
import * as v from "valibot";
import * as Effect from "effect/Effect";
import { defineStage } from "../core/stage.ts";
import { json } from "../core/codec.ts";
import type { ModelBundle, WithFiles } from "../stages/codecs.ts";
import type { Evaluation } from "../stages/evaluate.ts";
import type { TrainedConfig } from "../stages/trainDiffusion.ts";
import { SummaryRecord } from "../stages/summary.ts";

export const dmdSummaryStage = defineStage({
  name: "dmd-summary",
  version: "1",
  module: import.meta.url,
  params: v.strictObject({ arm: v.string() }),
  inputs: ["evaluation", "generator"],
  output: json(SummaryRecord),
  seeded: false,
  run: (
    _ctx,
    _p,
    inputs: { evaluation: WithFiles<Evaluation>; generator: ModelBundle<TrainedConfig> },
  ) =>
    Effect.sync(() => {
      const e = inputs.evaluation.data;
      const updates = inputs.generator.info.updates as { generator: number; fake: number };
      return {
        oneStepFdClf: e.fdClf,
        classEntropy: e.classEntropy,
        coverage: e.coverage,
        classifierAccuracy: e.classifierTestAccuracy,
        generatorUpdates: updates.generator,
        fakeUpdates: updates.fake,
      };
    }),
});
