/**
 * The summary stage: one flat JSON record of an arm's headline numbers (what summary.md and
 * `diffrun compare` show), taken from the evaluation and the trained model.
 */
import * as v from "valibot";
import * as Effect from "effect/Effect";
import { defineStage } from "../core/stage.ts";
import { json } from "../core/codec.ts";
import type { ModelBundle, WithFiles } from "./codecs.ts";
import type { Evaluation } from "./evaluate.ts";
import type { TrainedConfig } from "./trainDiffusion.ts";

export const SummaryRecord = v.record(v.string(), v.union([v.number(), v.string(), v.null()]));

export const summaryStage = defineStage({
  name: "summary",
  version: "1",
  module: import.meta.url,
  params: v.strictObject({}),
  inputs: ["evaluation", "model"],
  output: json(SummaryRecord),
  seeded: false,
  run: (
    _ctx,
    _p,
    inputs: { evaluation: WithFiles<Evaluation>; model: ModelBundle<TrainedConfig> },
  ) =>
    Effect.sync(() => {
      const e = inputs.evaluation.data;
      const rows = ((inputs.model.info.history as { rows?: number[][] } | undefined)?.rows) ?? [];
      const tail = rows.slice(-Math.max(1, Math.floor(rows.length / 10)));
      const meanOf = (k: number) =>
        tail.length ? tail.reduce((a, r) => a + (r[k] ?? 0), 0) / tail.length : null;
      return {
        fdClf: e.fdClf,
        classEntropy: e.classEntropy,
        coverage: e.coverage,
        classifierAccuracy: e.classifierTestAccuracy,
        finalLoss: meanOf(1),
        finalX0Mse: meanOf(2),
        parameters: Number(inputs.model.info.parameters ?? NaN),
      };
    }),
});
