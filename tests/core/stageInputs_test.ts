import assert from "node:assert/strict";
import { inputProblems, structuredInputs } from "../../src/core/stage.ts";
import { type Handle, recordingBuilder, type StageCall } from "../../src/core/pipeline.ts";
import { defineStage, type Group } from "../../src/core/stage.ts";
import { json } from "../../src/core/codec.ts";
import * as v from "valibot";
import * as Effect from "effect/Effect";

const spec = { teacher: "one", classifier: "optional", pairs: "many" } as const;

Deno.test("inputProblems() requires 'one' inputs, allows missing optional ones and empty groups", () => {
  assert.deepEqual(inputProblems(spec, ["teacher"]), []);
  assert.deepEqual(inputProblems(spec, ["teacher", "classifier", "pairs.0", "pairs.1"]), []);
  assert.deepEqual(inputProblems(spec, ["pairs.0"]).map((p) => p.message), [
    'missing input "teacher"',
  ]);
});

Deno.test("inputProblems() names unknown inputs, and a group given without a member name", () => {
  const problems = inputProblems(spec, ["teacher", "pairs", "extra", "classifier.x"]);
  assert.deepEqual(problems.map((p) => p.name), ["pairs", "extra", "classifier.x"]);
  assert.match(problems[0]!.message, /declared: teacher, classifier, pairs\.…/);
  assert.deepEqual(inputProblems(["a", "b"], ["a"]).map((p) => p.name), ["b"]);
});

Deno.test("structuredInputs() gathers a group's members by name and keeps single inputs", () => {
  const flat = { teacher: 1, "pairs.0": "a", "pairs.10": "b", "pairs.x.y": "c" };
  assert.deepEqual(structuredInputs(spec, flat), {
    teacher: 1,
    pairs: { "0": "a", "10": "b", "x.y": "c" },
  });
  assert.deepEqual(structuredInputs(spec, { teacher: 1 }), { teacher: 1, pairs: {} });
  assert.deepEqual(structuredInputs(["a"], { a: 2 }), { a: 2 });
});

Deno.test("a Builder passes a group as `group.member` inputs", () => {
  const calls: StageCall[] = [];
  const b = recordingBuilder(calls, null);
  const leaf = defineStage({
    name: "leaf",
    version: "1",
    module: import.meta.url,
    params: v.strictObject({}),
    inputs: [],
    output: json(v.number()),
    run: () => Effect.succeed(1),
  });
  const sum = defineStage({
    name: "sum",
    version: "1",
    module: import.meta.url,
    params: v.strictObject({}),
    inputs: { first: "one", rest: "many" },
    output: json(v.number()),
    run: (_ctx, _p, inputs: { first: number; rest: Group<number> }) =>
      Effect.succeed(inputs.first + Object.values(inputs.rest).reduce((a, x) => a + x, 0)),
  });
  const handles: Record<string, Handle<number>> = {};
  for (const arm of ["x", "y"]) handles[arm] = b.stage(leaf, {}, {});
  const first = b.stage(leaf, {}, {});
  b.stage(sum, {}, { first, rest: handles });
  assert.deepEqual(calls.at(-1)!.inputs, { first: 2, "rest.x": 0, "rest.y": 1 });
});
