/**
 * Min-SNR study, per arm: the evaluations of every training segment gathered into one record
 * (FD-clf and the per-timestep-bin loss against the training step), and the arm's flat summary.
 */
import * as v from "valibot";
import * as Effect from "effect/Effect";
import { defineStage, type Group } from "../core/stage.ts";
import { json } from "../core/codec.ts";
import type { ModelBundle, WithFiles } from "../stages/codecs.ts";
import type { TrainedConfig } from "../stages/trainDiffusion.ts";
import type { Evaluation } from "../stages/evaluate.ts";
import type { BinnedLoss } from "../stages/binnedLoss.ts";
import { TargetSchema } from "../diffusion/targets.ts";
import { resolveWeighting, WeightingConfigSchema } from "../diffusion/weightings.ts";

export const ArmCurvesSchema = v.strictObject({
  arm: v.string(),
  target: TargetSchema,
  weighting: WeightingConfigSchema,
  describe: v.string(),
  divergedAt: v.nullable(v.number()),
  points: v.array(v.strictObject({
    step: v.number(),
    fdClf: v.number(),
    classEntropy: v.number(),
    binEdges: v.array(v.number()),
    binLoss: v.array(v.nullable(v.number())),
    overallLoss: v.number(),
  })),
});
export type ArmCurves = v.InferOutput<typeof ArmCurvesSchema>;

/** Inputs: the evaluation and the binned loss of every segment (by step), and the final model. */
export const armCurvesStage = defineStage({
  name: "min-snr-curves",
  version: "1",
  module: import.meta.url,
  params: v.strictObject({
    arm: v.string(),
    target: TargetSchema,
    weighting: WeightingConfigSchema,
  }),
  inputs: { evals: "many", bins: "many", final: "one" },
  output: json(ArmCurvesSchema),
  seeded: false,
  run: (
    _ctx,
    p,
    inputs: {
      evals: Group<WithFiles<Evaluation>>;
      bins: Group<BinnedLoss>;
      final: ModelBundle<TrainedConfig>;
    },
  ) =>
    Effect.sync(() => {
      const steps = Object.keys(inputs.evals).map(Number).sort((a, b) => a - b);
      const points = steps.map((step) => {
        const e = inputs.evals[step]!.data;
        const b = inputs.bins[step]!;
        return {
          step,
          fdClf: e.fdClf,
          classEntropy: e.classEntropy,
          binEdges: b.binEdges,
          binLoss: b.meanLoss,
          overallLoss: b.overall,
        };
      });
      const divergedAt = inputs.final.info.divergedAt;
      return {
        arm: p.arm,
        target: p.target,
        weighting: p.weighting,
        describe: resolveWeighting(p.weighting, p.target).describe,
        divergedAt: typeof divergedAt === "number" ? divergedAt : null,
        points,
      };
    }),
});

export const armSummaryStage = defineStage({
  name: "min-snr-summary",
  version: "1",
  module: import.meta.url,
  params: v.strictObject({}),
  inputs: ["curves"],
  output: json(v.record(v.string(), v.union([v.number(), v.string(), v.null()]))),
  seeded: false,
  run: (_ctx, _p, inputs: { curves: ArmCurves }) =>
    Effect.sync(() => {
      const pts = inputs.curves.points;
      const last = pts.at(-1);
      return {
        finalFdClf: last?.fdClf ?? null,
        bestFdClf: pts.length ? Math.min(...pts.map((x) => x.fdClf)) : null,
        finalX0Mse: last?.overallLoss ?? null,
        classEntropy: last?.classEntropy ?? null,
        divergedAt: inputs.curves.divergedAt,
      };
    }),
});
