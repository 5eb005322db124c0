/**
 * A toy pipeline for the successive-halving tests: "training" in cached segments whose metric
 * follows a known curve per arm, so the right decision at every rung is known in advance.
 *
 *   loss(arm, step) = floor + scale / step      (null, as a diverged run records it, for "diverges")
 *
 * Every execution appends `<stage> <arm> <to>` to $DIFFRUN_TEST_COUNTER (when set), so tests
 * count exactly which segments and evaluations ran.
 */
import * as v from "valibot";
import * as Effect from "effect/Effect";
import { defineStage } from "../../../src/core/stage.ts";
import { definePipeline } from "../../../src/core/pipeline.ts";
import { json } from "../../../src/core/codec.ts";

const countRun = (what: string) =>
  Effect.sync(() => {
    const path = Deno.env.get("DIFFRUN_TEST_COUNTER");
    if (path) Deno.writeTextFileSync(path, `${what}\n`, { append: true });
  });

const Curve = v.strictObject({ name: v.string(), floor: v.number(), scale: v.number() });
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
      const { floor, scale, name } = p.curve;
      const loss = name === "diverges" ? null : floor + scale / inputs.model.step;
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
    curve: v.optional(Curve, { name: "default", floor: 1, scale: 10 }),
    steps: v.optional(v.number(), 8),
    segment: v.optional(v.number(), 2),
    seed: v.optional(v.number(), 0),
  }),
  build: (p, b) => {
    let model = b.stage(
      segmentStage,
      { curve: p.curve, from: 0, to: Math.min(p.segment, p.steps) },
      {},
    );
    for (let from = p.segment; from < p.steps; from += p.segment) {
      const to = Math.min(from + p.segment, p.steps);
      model = b.stage(segmentStage, { curve: p.curve, from, to }, { start: model }, {
        label: `step ${to}`,
      });
    }
    return {
      model,
      eval: b.stage(evalStage, { curve: p.curve }, { model }, { label: `step ${p.steps}` }),
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
