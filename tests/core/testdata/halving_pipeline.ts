/**
 * A toy pipeline for the successive-halving tests: "training" in cached segments whose metric
 * follows a known curve per arm, so the right decision at every rung is known in advance.
 *
 *   loss(arm, step) = floor + scale / step + seed / 100   (null, as a diverged run records it,
 *                                                          for "diverges")
 *
 * Every execution appends `<stage> <arm> <to>` to $DIFFRUN_TEST_COUNTER (when set), so tests
 * count exactly which segments and evaluations ran.
 */
import * as v from "valibot";
import * as Effect from "effect/Effect";
import { appendFileSync } from "node:fs";
import { envGet } from "../../../src/platform/process.ts";
import { defineStage } from "../../../src/core/stage.ts";
import { definePipeline } from "../../../src/core/pipeline.ts";
import { json } from "../../../src/core/codec.ts";

const countRun = (what: string) =>
  Effect.sync(() => {
    const path = envGet("DIFFRUN_TEST_COUNTER");
    if (path) appendFileSync(path, `${what}\n`);
  });

/**
 * The arms' curves: losses at steps 2, 4, 8 (seed 0).
 *
 *   arm      floor scale  loss@2  loss@4  loss@8
 *   fast       1     2     2       1.5     1.25
 *   steady   0.5     4     2.5     1.5     1       (ties fast at 4: the sweep order decides)
 *   late       0    16     8       4       2
 *   flat       3     0     3       3       3
 *   diverges   -     -     null    null    null    (ranks last)
 *   good     0.8     1     1.3     1.05    0.925
 */
export const CURVES = {
  fast: { floor: 1, scale: 2 },
  steady: { floor: 0.5, scale: 4 },
  late: { floor: 0, scale: 16 },
  flat: { floor: 3, scale: 0 },
  diverges: { floor: 0, scale: 1 },
  good: { floor: 0.8, scale: 1 },
};
const ARMS = Object.keys(CURVES) as (keyof typeof CURVES)[];

const Curve = v.strictObject({
  name: v.string(),
  floor: v.number(),
  scale: v.number(),
  seed: v.number(),
});
const Model = v.strictObject({ step: v.number() });

/** One segment: from `from` to `to` steps, continuing `start` (absent for the first). */
export const segmentStage = defineStage({
  name: "segment",
  version: "1",
  module: import.meta.url,
  params: v.strictObject({ curve: Curve, from: v.number(), to: v.number() }),
  inputs: { start: "optional" },
  output: json(Model),
  run: (_ctx, p, inputs: { start?: v.InferOutput<typeof Model> }) =>
    Effect.gen(function* () {
      if ((inputs.start?.step ?? 0) !== p.from) {
        return yield* Effect.fail(new Error(`start at ${inputs.start?.step}, not ${p.from}`));
      }
      yield* countRun(`segment ${p.curve.name} ${p.to}`);
      return { step: p.to };
    }),
});

export const evalStage = defineStage({
  name: "evaluate",
  version: "1",
  module: import.meta.url,
  params: v.strictObject({ curve: Curve }),
  inputs: ["model"],
  output: json(v.strictObject({ loss: v.nullable(v.number()), step: v.number() })),
  run: (_ctx, p, inputs: { model: v.InferOutput<typeof Model> }) =>
    Effect.gen(function* () {
      yield* countRun(`evaluate ${p.curve.name} ${inputs.model.step}`);
      const { floor, scale, name, seed } = p.curve;
      const loss = name === "diverges" ? null : floor + scale / inputs.model.step + seed / 100;
      return { loss, step: inputs.model.step };
    }),
});

export const tableStage = defineStage({
  name: "table",
  version: "1",
  module: import.meta.url,
  params: v.strictObject({ arms: v.array(v.string()) }),
  inputs: { evals: "many" },
  output: json(v.record(v.string(), v.unknown())),
  seeded: false,
  run: (_ctx, p, inputs: { evals: Record<string, unknown> }) =>
    Effect.gen(function* () {
      yield* countRun(`table ${p.arms.join("+")}`);
      return inputs.evals;
    }),
});

export const halvingPipeline = definePipeline({
  name: "halving-toy",
  module: import.meta.url,
  params: v.strictObject({
    arm: v.optional(v.picklist(ARMS), "fast"),
    steps: v.optional(v.number(), 8),
    segment: v.optional(v.number(), 2),
    seed: v.optional(v.number(), 0),
  }),
  build: (p, b) => {
    const curve = { name: p.arm, ...CURVES[p.arm], seed: p.seed };
    let model = b.stage(
      segmentStage,
      { curve, from: 0, to: Math.min(p.segment, p.steps) },
      {},
    );
    for (let from = p.segment; from < p.steps; from += p.segment) {
      const to = Math.min(from + p.segment, p.steps);
      model = b.stage(segmentStage, { curve, from, to }, { start: model }, {
        label: `step ${to}`,
      });
    }
    return {
      model,
      eval: b.stage(evalStage, { curve }, { model }, { label: `step ${p.steps}` }),
    };
  },
  aggregate: (arms, b) => ({
    table: b.stage(tableStage, { arms: arms.map((a) => a.id) }, {
      evals: Object.fromEntries(arms.map((a) => [a.id, a.outputs.eval!])),
    } as never),
  }),
  budget: "steps",
  replicateSeed: "seed",
});
