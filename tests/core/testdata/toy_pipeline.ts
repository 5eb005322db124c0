/**
 * A toy pipeline for the runner's tests: no tensors, just numbers, with knobs to make a stage
 * slow, fail, or checkpoint. Every execution appends a line to $DIFFRUN_TEST_COUNTER (when set)
 * so tests can count how often each stage really ran.
 */
import * as v from "valibot";
import * as Effect from "effect/Effect";
import * as Option from "effect/Option";
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

const NumberList = v.array(v.number());

export const numbers = defineStage({
  name: "numbers",
  version: "1",
  module: import.meta.url,
  params: v.object({ n: v.pipe(v.number(), v.integer(), v.minValue(1)) }),
  inputs: [],
  output: json(NumberList),
  run: (ctx, p) =>
    Effect.gen(function* () {
      yield* countRun(`numbers n=${p.n}`);
      let s = ctx.seed;
      const out: number[] = [];
      for (let i = 0; i < p.n; i++) {
        s = (s * 1103515245 + 12345) % 2147483648;
        out.push(s % 100);
      }
      return out;
    }),
});

const ScaleState = v.object({ step: v.number(), acc: v.array(v.number()) });

export const scale = defineStage({
  name: "scale",
  version: "1",
  module: import.meta.url,
  params: v.object({
    factor: v.number(),
    /** Milliseconds to sleep per step (to make the stage slow enough to interrupt or kill). */
    sleepMs: v.optional(v.number(), 0),
    steps: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 1),
    fail: v.optional(v.boolean(), false),
  }),
  inputs: ["numbers"],
  output: json(NumberList),
  resources: { compute: 1 },
  run: (ctx, p, inputs: { numbers: number[] }) =>
    Effect.gen(function* () {
      yield* countRun(`scale factor=${p.factor}`);
      const resumed = yield* ctx.resume(json(ScaleState));
      let state = Option.getOrElse(resumed, () => ({ step: 0, acc: inputs.numbers.map(() => 0) }));
      if (Option.isSome(resumed)) yield* ctx.info(`resumed at step ${state.step}`);
      while (state.step < p.steps) {
        if (p.fail && state.step === Math.floor(p.steps / 2)) {
          return yield* Effect.fail(new Error(`factor ${p.factor} was asked to fail`));
        }
        yield* Effect.sleep(p.sleepMs);
        state = {
          step: state.step + 1,
          acc: state.acc.map((a, i) => a + (inputs.numbers[i]! * p.factor) / p.steps),
        };
        yield* ctx.checkpoint(json(ScaleState), state);
        yield* ctx.progress(state.step, p.steps);
        yield* ctx.log({ step: state.step, partial: state.acc.reduce((a, b) => a + b, 0) });
      }
      return state.acc.map((a) => Math.round(a * 1e6) / 1e6);
    }),
});

export const total = defineStage({
  name: "total",
  version: "1",
  module: import.meta.url,
  params: v.object({}),
  inputs: ["values"],
  output: json(v.record(v.string(), v.number())),
  seeded: false,
  run: (_ctx, _p, inputs: { values: number[] }) =>
    countRun("total").pipe(
      Effect.as({ total: inputs.values.reduce((a, b) => a + b, 0), count: inputs.values.length }),
    ),
});

export const report = defineStage({
  name: "report",
  version: "1",
  module: import.meta.url,
  params: v.object({ arms: v.array(v.string()) }),
  inputs: [],
  output: json(v.object({ arms: v.array(v.string()) })),
  seeded: false,
  run: (_ctx, p) => Effect.succeed({ arms: p.arms }),
});

export const toyPipeline = definePipeline({
  name: "toy",
  module: import.meta.url,
  params: v.strictObject({
    n: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 5),
    factor: v.optional(v.number(), 1),
    sleepMs: v.optional(v.number(), 0),
    steps: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 1),
    failFactor: v.optional(v.nullable(v.number()), null),
    mode: v.optional(v.picklist(["plain", "fancy"]), "plain"),
  }),
  build: (p, b) => {
    if (p.mode === "fancy" && p.factor < 0) {
      throw new Error("mode fancy needs factor >= 0");
    }
    const nums = b.stage(numbers, { n: p.n }, {});
    const scaled = b.stage(scale, {
      factor: p.factor,
      sleepMs: p.sleepMs,
      steps: p.steps,
      fail: p.failFactor === p.factor,
    }, { numbers: nums });
    const summary = b.stage(total, {}, { values: scaled });
    return { summary };
  },
  aggregate: (arms, b) => ({ report: b.stage(report, { arms: arms.map((a) => a.id) }, {}) }),
});
