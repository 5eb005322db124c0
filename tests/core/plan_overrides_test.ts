/** The `-p` override rule, nested overrides, foreign handles and the arm limit (docs/cli.md). */
import assert from "node:assert/strict";
import * as v from "valibot";
import * as Effect from "effect/Effect";
import { MAX_ARMS } from "../../src/core/plan.ts";
import { countArms } from "../../src/core/plan/params.ts";
import { defineExperiment } from "../../src/core/experiment.ts";
import { type Builder, definePipeline, type Handle } from "../../src/core/pipeline.ts";
import { defineStage } from "../../src/core/stage.ts";
import { json } from "../../src/core/codec.ts";
import { toyPipeline } from "./testdata/toy_pipeline.ts";
import { plan, planIssues } from "./helpers.ts";

const Weighting = v.variant("strategy", [
  v.strictObject({ strategy: v.literal("unweighted") }),
  v.strictObject({ strategy: v.literal("min-snr"), gamma: v.number() }),
]);

const train = defineStage({
  name: "train",
  version: "1",
  module: import.meta.url,
  params: v.object({ target: v.string(), weighting: Weighting }),
  inputs: [],
  output: json(v.number()),
  run: () => Effect.succeed(0),
});

/** A pipeline with an object param whose default is not spelled out by the experiments. */
const weighted = definePipeline({
  name: "weighted",
  module: import.meta.url,
  params: v.strictObject({
    target: v.optional(v.picklist(["eps", "x0", "v"]), "eps"),
    weighting: v.optional(Weighting, { strategy: "min-snr", gamma: 5 }),
  }),
  build: (p, b) => ({ summary: b.stage(train, p, {}) }),
});

const unweighted = { strategy: "unweighted" } as const;
const minSnr5 = { strategy: "min-snr", gamma: 5 } as const;

const weightingsOf = (p: ReturnType<typeof plan>) =>
  p.arms.map((a) => (a.params as { weighting: unknown }).weighting);

Deno.test("planExperiment() rejects -p inside a grid axis, naming the override, the axis and the whole-axis form", () => {
  const exp = defineExperiment({
    name: "t",
    pipeline: weighted,
    sweep: { grid: { target: ["x0", "eps"], weighting: [unweighted, minSnr5] } },
  });
  const issues = planIssues(() => plan(exp, { overrides: ["weighting.gamma=10"] }));
  assert.equal(issues.length, 1);
  assert.equal(issues[0]!.where, "command line");
  assert.equal(issues[0]!.field, "weighting.gamma");
  assert.match(issues[0]!.message, /-p weighting\.gamma=10 sets a field inside "weighting"/);
  assert.match(issues[0]!.message, /sweep \(grid\) assigns whole/);
  // the suggestion starts from the swept value that has the field, and it plans as advertised
  const suggested = issues[0]!.message.match(/-p '(weighting=\[.*\])'$/)?.[1];
  assert.equal(suggested, 'weighting=[{"strategy":"min-snr","gamma":10}]');
  const fixed = plan(exp, { overrides: [suggested!] });
  assert.deepEqual(weightingsOf(fixed), [
    { strategy: "min-snr", gamma: 10 },
    { strategy: "min-snr", gamma: 10 },
  ]);
});

Deno.test("planExperiment() rejects -p inside an axis of the random space or of include", () => {
  const random = defineExperiment({
    name: "t",
    pipeline: weighted,
    sweep: { random: { samples: 2, seed: 1, space: { weighting: { choice: [minSnr5] } } } },
  });
  const r = planIssues(() => plan(random, { overrides: ["weighting.gamma=[1,2]"] }));
  assert.match(r[0]!.message, /sweep \(random space\)/);
  assert.match(
    r[0]!.message,
    /weighting=\[\{"strategy":"min-snr","gamma":1\},\{"strategy":"min-snr","gamma":2\}\]/,
  );
  const include = defineExperiment({
    name: "t",
    pipeline: weighted,
    sweep: { grid: { target: ["x0"] }, include: [{ target: "eps", weighting: unweighted }] },
  });
  const i = planIssues(() => plan(include, { overrides: ["weighting.gamma=3"] }));
  assert.equal(i[0]!.field, "weighting.gamma");
  assert.match(i[0]!.message, /sweep \(include\)/);
});

Deno.test("planExperiment() lets an override of a parent replace an axis inside it", () => {
  const exp = defineExperiment({
    name: "t",
    pipeline: weighted,
    params: { weighting: minSnr5 },
    sweep: { grid: { target: ["x0", "eps"], "weighting.gamma": [1, 5] } },
  });
  assert.equal(plan(exp).arms.length, 4);
  const pinned = plan(exp, { overrides: ['weighting={"strategy":"min-snr","gamma":7}'] });
  assert.deepEqual(pinned.arms.map((a) => a.id), ["target=x0", "target=eps"]);
  assert.deepEqual(weightingsOf(pinned), [
    { strategy: "min-snr", gamma: 7 },
    { strategy: "min-snr", gamma: 7 },
  ]);
  const swept = plan(exp, { overrides: ['weighting=[{"strategy":"unweighted"}]'] });
  assert.deepEqual(weightingsOf(swept), [unweighted, unweighted]);
});

Deno.test("planExperiment() merges a nested -p into the param's default object", () => {
  const exp = defineExperiment({ name: "t", pipeline: weighted });
  assert.deepEqual(weightingsOf(plan(exp, { overrides: ["weighting.gamma=3"] })), [
    { strategy: "min-snr", gamma: 3 },
  ]);
  // and into what the experiment spells out
  const spelled = defineExperiment({ name: "t", pipeline: weighted, params: { target: "v" } });
  const p = plan(spelled, { overrides: ["weighting.gamma=2"] });
  assert.deepEqual(p.arms[0]!.params, {
    target: "v",
    weighting: { strategy: "min-snr", gamma: 2 },
  });
});

Deno.test("planExperiment() switching a default variant's key keeps only the fields the new variant takes", () => {
  const exp = defineExperiment({ name: "t", pipeline: weighted });
  // the default is min-snr with gamma 5; unweighted declares no gamma
  assert.deepEqual(weightingsOf(plan(exp, { overrides: ["weighting.strategy=unweighted"] })), [
    unweighted,
  ]);
  // the same strategy keeps every field
  assert.deepEqual(weightingsOf(plan(exp, { overrides: ["weighting.strategy=min-snr"] })), [
    minSnr5,
  ]);
});

Deno.test("planExperiment() names a field the selected variant does not take, with the whole-object form", () => {
  const exp = defineExperiment({ name: "t", pipeline: weighted });
  // gamma written by the user is never dropped: it is reported
  const issues = planIssues(() =>
    plan(exp, { overrides: ["weighting.gamma=3", "weighting.strategy=unweighted"] })
  );
  assert.equal(issues.length, 1);
  assert.equal(issues[0]!.field, "weighting.gamma");
  assert.equal(
    issues[0]!.message,
    `"gamma" is not a field of weighting when weighting.strategy is "unweighted"; set the ` +
      `whole object, e.g. -p 'weighting={"strategy":"unweighted"}'`,
  );
});

Deno.test("planExperiment() merges a nested grid axis into the param's default object", () => {
  const exp = defineExperiment({
    name: "t",
    pipeline: weighted,
    sweep: { grid: { "weighting.gamma": [1, 2] } },
  });
  assert.deepEqual(weightingsOf(plan(exp)), [
    { strategy: "min-snr", gamma: 1 },
    { strategy: "min-snr", gamma: 2 },
  ]);
});

Deno.test("planExperiment() names a misspelt nested field with its near match", () => {
  const exp = defineExperiment({ name: "t", pipeline: weighted });
  const issues = planIssues(() => plan(exp, { overrides: ["weighting.gama=3"] }));
  assert.equal(issues.length, 1);
  assert.equal(issues[0]!.field, "weighting.gama");
  assert.match(issues[0]!.message, /unknown param "weighting\.gama" \(did you mean "gamma"\?\)/);
});

// -- handles -----------------------------------------------------------------------------------

const source = defineStage({
  name: "source",
  version: "1",
  module: import.meta.url,
  params: v.object({}),
  inputs: [],
  output: json(v.number()),
  run: () => Effect.succeed(1),
});
const relay = defineStage({
  name: "relay",
  version: "1",
  module: import.meta.url,
  params: v.object({ tag: v.string() }),
  inputs: ["x"],
  output: json(v.number()),
  run: (_c, _p, i: { x: number }) => Effect.succeed(i.x),
});

const handlePipeline = (build: (b: Builder) => Record<string, Handle<unknown>>) =>
  definePipeline({
    name: "handles",
    module: import.meta.url,
    params: v.object({}),
    build: (_p, b) => build(b),
  });

Deno.test("planExperiment() rejects stages reading each other through made-up handles", () => {
  const pipeline = handlePipeline((b) => {
    const s = b.stage(source, {}, {});
    // `a` reads the handle `b` will get (node id 2), `b` reads `a`: a cycle no real handle makes
    const a = b.stage(relay, { tag: "a" }, { x: { nodeId: 2 } as Handle<number> });
    const c = b.stage(relay, { tag: "b" }, { x: a });
    const d = b.stage(relay, { tag: "d" }, { x: s });
    return { summary: c, other: d };
  });
  const issues = planIssues(() => plan(defineExperiment({ name: "t", pipeline })));
  assert.equal(issues.length, 1, JSON.stringify(issues));
  assert.equal(issues[0]!.where, 'stage "relay" in arm default');
  assert.equal(issues[0]!.field, "x");
  assert.match(issues[0]!.message, /input "x" is not a handle returned by b\.stage/);
});

Deno.test("planExperiment() rejects a handle kept from another plan", () => {
  let kept: Handle<number> | undefined;
  const pipeline = handlePipeline((b) => {
    const s = b.stage(source, {}, {});
    const r = b.stage(relay, { tag: "r" }, { x: kept ?? s });
    kept ??= s;
    return { summary: r };
  });
  const exp = defineExperiment({ name: "t", pipeline });
  assert.equal(plan(exp).nodes.size, 2);
  const issues = planIssues(() => plan(exp));
  assert.equal(issues[0]!.where, 'stage "relay" in arm default');
  assert.match(issues[0]!.message, /input "x" is not a handle .*another plan/);
});

Deno.test("planExperiment() rejects an arm output that is not a handle of the plan", () => {
  const pipeline = handlePipeline((b) => {
    b.stage(source, {}, {});
    return { summary: { nodeId: 0 } as Handle<number> };
  });
  const issues = planIssues(() => plan(defineExperiment({ name: "t", pipeline })));
  assert.equal(issues[0]!.where, "arm default");
  assert.equal(issues[0]!.field, "summary");
});

// -- arm limit ---------------------------------------------------------------------------------

Deno.test("countArms() multiplies grid axes and random samples and adds included arms", () => {
  assert.equal(countArms(undefined), 1);
  assert.equal(countArms({ grid: { a: [1, 2, 3], b: [1, 2] } }), 6);
  assert.equal(
    countArms({
      grid: { a: [1, 2, 3] },
      random: { samples: 5, seed: 0, space: { c: { uniform: [0, 1] } } },
      include: [{ a: 9 }, { a: 10 }],
    }),
    3 * 5 + 2,
  );
  // include alone keeps the default arm, as expandSweep() does
  assert.equal(countArms({ include: [{ a: 9 }] }), 2);
});

Deno.test("planExperiment() refuses a million-arm sweep before expanding it, with count and limit", () => {
  const values = Array.from({ length: 1000 }, (_, i) => i + 1);
  const exp = defineExperiment({
    name: "t",
    pipeline: toyPipeline,
    sweep: { grid: { factor: values, n: values } },
  });
  const issues = planIssues(() => plan(exp));
  assert.equal(MAX_ARMS, 100_000);
  assert.equal(issues[0]!.where, "sweep");
  assert.match(
    issues[0]!.message,
    /the sweep has 1,000,000 arms \(grid 1000 \(factor\) × 1000 \(n\)\), above the limit of 100,000/,
  );
  assert.match(issues[0]!.message, /--max-arms/);
});

Deno.test("planExperiment() applies the maxArms option both ways", () => {
  const exp = defineExperiment({
    name: "t",
    pipeline: toyPipeline,
    sweep: { grid: { factor: [1, 2, 3, 4] } },
  });
  assert.equal(plan(exp, { maxArms: 4 }).arms.length, 4);
  const issues = planIssues(() => plan(exp, { maxArms: 3 }));
  assert.match(issues[0]!.message, /4 arms .* limit of 3/);
});
