import assert from "node:assert/strict";
import * as v from "valibot";
import * as Effect from "effect/Effect";

import { defineExperiment } from "../../src/core/experiment.ts";
import { definePipeline } from "../../src/core/pipeline.ts";
import { defineStage } from "../../src/core/stage.ts";
import { json } from "../../src/core/codec.ts";
import { toyPipeline } from "./testdata/toy_pipeline.ts";
import { plan, planIssues } from "./helpers.ts";

Deno.test("planExperiment() merges a stage shared by every arm into one node", () => {
  const p = plan(
    defineExperiment({
      name: "t",
      pipeline: toyPipeline,
      sweep: { grid: { factor: [1, 2, 3, 4] } },
    }),
  );
  const names = [...p.nodes.values()].map((n) => n.def.name);
  assert.equal(names.filter((n) => n === "numbers").length, 1);
  assert.equal(names.filter((n) => n === "scale").length, 4);
  const shared = [...p.nodes.values()].find((n) => n.def.name === "numbers")!;
  assert.equal(shared.arms.length, 4);
  assert.equal(shared.label, "numbers");
  assert.ok([...p.nodes.values()].some((n) => n.label === "scale[factor=3]"));
});

Deno.test("planExperiment() orders nodes so inputs come first", () => {
  const p = plan(
    defineExperiment({ name: "t", pipeline: toyPipeline, sweep: { grid: { factor: [1, 2] } } }),
  );
  const seen = new Set<string>();
  for (const node of p.nodes.values()) {
    for (const k of Object.values(node.inputs)) {
      assert.ok(seen.has(k), `${node.label} before its input`);
    }
    seen.add(node.key);
  }
});

Deno.test("planExperiment() keeps an arm's keys when another arm is added", () => {
  const a = plan(
    defineExperiment({ name: "t", pipeline: toyPipeline, sweep: { grid: { factor: [1, 2] } } }),
  );
  const b = plan(
    defineExperiment({ name: "t", pipeline: toyPipeline, sweep: { grid: { factor: [1, 2, 10] } } }),
  );
  for (const arm of a.arms) {
    assert.deepEqual(b.arms.find((x) => x.id === arm.id)!.outputs, arm.outputs);
  }
});

Deno.test("planExperiment() applies profile params and -p overrides, later winning", () => {
  const exp = defineExperiment({
    name: "t",
    pipeline: toyPipeline,
    params: { n: 4 },
    profiles: { smoke: { params: { n: 2 } } },
  });
  const nOf = (p: ReturnType<typeof plan>) => ((p.arms[0]!.params) as { n: number }).n;
  assert.equal(nOf(plan(exp)), 4);
  assert.equal(nOf(plan(exp, { profile: "smoke" })), 2);
  assert.equal(nOf(plan(exp, { profile: "smoke", overrides: ["n=9"] })), 9);
  assert.deepEqual(plan(exp, { overrides: ["factor=[1,2,3]"] }).arms.map((a) => a.id), [
    "factor=1",
    "factor=2",
    "factor=3",
  ]);
});

Deno.test("planExperiment() lets a -p value pin a swept param", () => {
  const exp = defineExperiment({
    name: "t",
    pipeline: toyPipeline,
    sweep: { grid: { factor: [1, 2, 3] } },
  });
  assert.equal(plan(exp, { overrides: ["factor=2"] }).arms.length, 1);
});

Deno.test("planExperiment() rejects unknown params, naming the field and a near match", () => {
  const issues = planIssues(() =>
    plan(defineExperiment({ name: "t", pipeline: toyPipeline, params: { factr: 2 } as never }))
  );
  assert.equal(issues[0]!.field, "factr");
  assert.match(issues[0]!.message, /unknown param "factr" \(did you mean "factor"\?\)/);
});

Deno.test("planExperiment() rejects params of the wrong type, naming the field", () => {
  const issues = planIssues(() =>
    plan(defineExperiment({ name: "t", pipeline: toyPipeline }), { overrides: ["n=abc"] })
  );
  assert.equal(issues[0]!.field, "n");
  assert.match(issues[0]!.message, /number/);
});

Deno.test("planExperiment() rejects sweeps over undeclared params and unknown profiles", () => {
  const issues = planIssues(() =>
    plan(
      defineExperiment({ name: "t", pipeline: toyPipeline, sweep: { grid: { gamma: [1, 5] } } }),
      { profile: "nope" },
    )
  );
  assert.ok(issues.some((i) => i.where === "sweep.grid" && i.field === "gamma"));
  assert.ok(issues.some((i) => i.where === "profiles" && /unknown profile "nope"/.test(i.message)));
});

Deno.test("planExperiment() reports invalid combinations thrown by build with the arm", () => {
  const issues = planIssues(() =>
    plan(
      defineExperiment({
        name: "t",
        pipeline: toyPipeline,
        params: { mode: "fancy" },
        sweep: { grid: { factor: [1, -1] } },
      }),
    )
  );
  assert.equal(issues.length, 1);
  assert.equal(issues[0]!.where, "arm factor=-1");
  assert.match(issues[0]!.message, /mode fancy needs factor >= 0/);
});

const leaf = defineStage({
  name: "leaf",
  version: "1",
  module: import.meta.url,
  params: v.object({ size: v.pipe(v.number(), v.minValue(1)) }),
  inputs: [],
  output: json(v.number()),
  run: (_c, p) => Effect.succeed(p.size),
});
const user = defineStage({
  name: "user",
  version: "1",
  module: import.meta.url,
  params: v.object({}),
  inputs: ["a", "b"],
  output: json(v.number()),
  run: (_c, _p, i: { a: number; b: number }) => Effect.succeed(i.a + i.b),
});

Deno.test("planExperiment() reports stage params that fail the stage's schema", () => {
  const pipeline = definePipeline({
    name: "bad",
    module: import.meta.url,
    params: v.object({ size: v.optional(v.number(), 0) }),
    build: (p, b) => ({ out: b.stage(leaf, { size: p.size }, {}) }),
  });
  const issues = planIssues(() => plan(defineExperiment({ name: "t", pipeline })));
  assert.equal(issues[0]!.where, 'stage "leaf" in arm default');
  assert.equal(issues[0]!.field, "size");
});

Deno.test("planExperiment() reports missing and unknown inputs", () => {
  const pipeline = definePipeline({
    name: "bad",
    module: import.meta.url,
    params: v.object({}),
    build: (_p, b) => {
      const a = b.stage(leaf, { size: 1 }, {});
      // deliberately wrong wiring, as a pipeline author might write it in plain JS
      return { out: b.stage(user, {}, { a, c: a } as never) };
    },
  });
  const issues = planIssues(() => plan(defineExperiment({ name: "t", pipeline })));
  assert.ok(issues.some((i) => i.field === "b" && /missing input "b"/.test(i.message)));
  assert.ok(issues.some((i) => i.field === "c" && /unknown input "c"/.test(i.message)));
});

Deno.test("planExperiment() seeds stages from the experiment seed", () => {
  const exp = (seed: number) => defineExperiment({ name: "t", pipeline: toyPipeline, seed });
  const key = (seed: number) =>
    [...plan(exp(seed)).nodes.values()].find((n) => n.def.name === "numbers")!.key;
  const totalKey = (seed: number) =>
    [...plan(exp(seed)).nodes.values()].find((n) => n.def.name === "total")!.components.seed;
  assert.notEqual(key(1), key(2));
  assert.equal(totalKey(1), null, "a stage declared seeded: false has no seed in its key");
});
