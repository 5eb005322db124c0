import assert from "node:assert/strict";
import type { Plan } from "../../src/core/plan.ts";
import { defineExperiment } from "../../src/core/experiment.ts";
import { parseArmId, replicateArmId, takeReplicatesOverride } from "../../src/core/replicates.ts";
import { replicatePipeline } from "./testdata/replicate_pipeline.ts";
import { toyPipeline } from "./testdata/toy_pipeline.ts";
import { plan, planIssues } from "./helpers.ts";
import minSnr from "../../experiments/min-snr.ts";

const experiment = (extra: { replicates?: number } = {}) =>
  defineExperiment({
    name: "rep",
    pipeline: replicatePipeline,
    sweep: { grid: { weighting: ["const", "min-snr"] } },
    profiles: { two: { replicates: 2 }, none: {} },
    ...extra,
  });

/** Stage name → the set of keys it has in the plan (one per distinct instance). */
const keysByStage = (p: Plan) => {
  const m = new Map<string, Set<string>>();
  for (const n of p.nodes.values()) {
    if (!m.has(n.def.name)) m.set(n.def.name, new Set());
    m.get(n.def.name)!.add(n.key);
  }
  return m;
};

/** Key of stage `name` used by arm `arm`. */
const keyOf = (p: Plan, name: string, arm: string) =>
  [...p.nodes.values()].find((n) => n.def.name === name && n.arms.includes(arm))!.key;

Deno.test("planExperiment() with replicates: n runs every arm at seeds 0..n−1, the id naming the seed", () => {
  const p = plan(experiment({ replicates: 3 }));
  assert.deepEqual(p.arms.map((a) => a.id), [
    "weighting=const/seed=0",
    "weighting=const/seed=1",
    "weighting=const/seed=2",
    "weighting=min-snr/seed=0",
    "weighting=min-snr/seed=1",
    "weighting=min-snr/seed=2",
  ]);
  assert.deepEqual(p.arms.map((a) => a.replicate), [0, 1, 2, 0, 1, 2]);
  assert.deepEqual(p.arms.map((a) => (a.params as { trainSeed: number }).trainSeed), [
    0,
    1,
    2,
    0,
    1,
    2,
  ]);
  assert.equal(p.arms[4]!.group, "weighting=min-snr");
  assert.equal(p.experiment.replicates, 3);
  // the aggregate sees each arm's group and seed
  const report = [...p.nodes.values()].find((n) => n.def.name === "report")!;
  assert.deepEqual((report.params as { groups: string[] }).groups, [
    "weighting=const@0",
    "weighting=const@1",
    "weighting=const@2",
    "weighting=min-snr@0",
    "weighting=min-snr@1",
    "weighting=min-snr@2",
  ]);
});

Deno.test("planExperiment() shares the seed-independent stages across replicates and nothing else", () => {
  const p = plan(experiment({ replicates: 3 }));
  const keys = keysByStage(p);
  assert.equal(keys.get("data")!.size, 1, "one dataset");
  assert.equal(keys.get("metric-net")!.size, 1, "one metric network");
  assert.equal(keys.get("init")!.size, 3, "one init per seed, shared by the weightings");
  assert.equal(keys.get("train")!.size, 6, "one training per arm and seed");
  assert.equal(keys.get("score")!.size, 6);
  // same seed, two arms: the same initial weights (a paired design)
  assert.equal(
    keyOf(p, "init", "weighting=const/seed=1"),
    keyOf(p, "init", "weighting=min-snr/seed=1"),
  );
  // the derived seeds of seeded stages differ between replicates too
  const trainSeeds = [...p.nodes.values()].filter((n) => n.def.name === "train").map((n) => n.seed);
  assert.equal(new Set(trainSeeds).size, 6);
});

Deno.test("planExperiment(): seed 0 is the unreplicated run, and a fourth seed adds only its arms", () => {
  const single = plan(experiment());
  const three = plan(experiment({ replicates: 3 }));
  const four = plan(experiment({ replicates: 4 }));
  for (const group of ["weighting=const", "weighting=min-snr"]) {
    assert.equal(
      keyOf(three, "score", replicateArmId(group, 0)),
      keyOf(single, "score", group),
      "seed 0 reuses the unreplicated run's cache",
    );
  }
  const old = new Set(three.nodes.keys());
  const added = [...four.nodes.values()].filter((n) => !old.has(n.key));
  assert.ok(added.length > 0);
  for (const n of added) {
    assert.ok(
      n.arms.length > 0 && n.arms.every((a) => a.endsWith("/seed=3")) || n.def.name === "report",
      `${n.label} is new but not only in seed 3 (arms ${n.arms.join(", ")})`,
    );
  }
  // new: init, 2 trainings, 2 scores of seed 3, and the report over all arms
  assert.deepEqual(added.map((n) => n.def.name).sort(), [
    "init",
    "report",
    "score",
    "score",
    "train",
    "train",
  ]);
});

Deno.test("planExperiment(): --replicates beats the profile, which beats the experiment", () => {
  assert.equal(plan(experiment({ replicates: 3 })).arms.length, 6);
  assert.equal(plan(experiment({ replicates: 3 }), { profile: "two" }).arms.length, 4);
  assert.equal(plan(experiment({ replicates: 3 }), { profile: "none" }).arms.length, 6);
  const cli = plan(experiment({ replicates: 3 }), {
    profile: "two",
    overrides: ["replicates=5"],
  });
  assert.equal(cli.arms.length, 10);
  assert.equal(cli.experiment.replicates, 5);
  assert.equal(plan(experiment()).experiment.replicates, null);
  assert.equal(plan(experiment()).arms[0]!.replicate, null);
});

Deno.test("planExperiment() rejects a second way to repeat seeds, and bad counts", () => {
  const sweepSeed = planIssues(() => plan(experiment(), { overrides: ["trainSeed=[0,1,2]"] }));
  assert.match(
    sweepSeed[0]!.message,
    /"trainSeed" is the replicate seed .* instead of sweeping it/,
  );
  assert.equal(sweepSeed[0]!.field, "trainSeed");
  const both = planIssues(() =>
    plan(experiment({ replicates: 2 }), { overrides: ["trainSeed=4"] })
  );
  assert.match(both[0]!.message, /replicates: 2 sets to 0\.\.1; drop one of the two/);
  // one fixed seed without replicates stays allowed
  assert.equal(
    (plan(experiment(), { overrides: ["trainSeed=4"] }).arms[0]!.params as { trainSeed: number })
      .trainSeed,
    4,
  );
  const noSeedParam = planIssues(() =>
    plan(defineExperiment({ name: "t", pipeline: toyPipeline, replicates: 2 }))
  );
  assert.match(noSeedParam[0]!.message, /pipeline "toy" names no seed param/);
  const zero = planIssues(() => plan(experiment(), { overrides: ["replicates=0"] }));
  assert.match(zero[0]!.message, /--replicates "0": replicates must be at least 1/);
  const word = planIssues(() => plan(experiment(), { overrides: ["replicates=three"] }));
  assert.equal(word[0]!.field, "replicates");
});

Deno.test("takeReplicatesOverride() and parseArmId() round-trip the replicate spelling", () => {
  const t = takeReplicatesOverride(["a=1", "replicates=3", "b=[1,2]"]);
  assert.deepEqual(t, { count: 3, error: undefined, rest: ["a=1", "b=[1,2]"] });
  assert.deepEqual(parseArmId(replicateArmId("target=eps,weighting=min-snr-5", 2)), {
    group: "target=eps,weighting=min-snr-5",
    replicate: 2,
  });
  assert.deepEqual(parseArmId("target=eps"), { group: "target=eps", replicate: null });
});

Deno.test("planExperiment() on min-snr smoke shares the dataset and classifier across replicates", () => {
  const p = plan(minSnr, { profile: "smoke", overrides: ["replicates=3"] });
  const keys = keysByStage(p);
  assert.equal(p.arms.length, 12);
  assert.equal(keys.get("dataset")!.size, 1);
  assert.equal(keys.get("classifier")!.size, 1);
  const one = keysByStage(plan(minSnr, { profile: "smoke", overrides: ["replicates=1"] }));
  // every training stage is per seed: three times as many instances as with one seed
  for (const [name, set] of one) {
    if (name === "dataset" || name === "classifier" || name === "min-snr-report") continue;
    assert.equal(keys.get(name)!.size, 3 * set.size, name);
  }
});

Deno.test("planExperiment() on dmd smoke shares the teacher across replicates and keeps every generator", async () => {
  const dmd = (await import("../../experiments/dmd.ts")).default;
  const one = plan(dmd, { profile: "smoke" });
  const two = plan(dmd, { profile: "smoke", overrides: ["replicates=2"] });
  const k1 = keysByStage(one), k2 = keysByStage(two);
  for (const shared of ["dataset", "classifier", "train-diffusion", "regression-pairs"]) {
    assert.equal(k2.get(shared)!.size, k1.get(shared)!.size, `${shared} is shared by the seeds`);
  }
  assert.equal(k2.get("dmd-distill")!.size, 2 * k1.get("dmd-distill")!.size);
  const report = [...two.nodes.values()].find((n) => n.def.name === "dmd-report")!;
  assert.equal(
    Object.keys(report.inputs).filter((k) => k.startsWith("generators.")).length,
    k2.get("dmd-distill")!.size,
    "the report sees every seed's generator",
  );
});

Deno.test("planExperiment() on adapters smoke reports every seed's arms and baselines", async () => {
  const adapters = (await import("../../experiments/adapters.ts")).default;
  const two = plan(adapters, { profile: "smoke", overrides: ["replicates=2"] });
  const keys = keysByStage(two);
  assert.equal(keys.get("dataset")!.size, 1);
  const report = [...two.nodes.values()].find((n) => n.def.name === "adapter-report")!;
  const names = Object.keys(report.inputs);
  assert.ok(names.includes("evals.full fine-tune/seed=1"), names.join(", "));
  assert.ok(names.some((n) => n.startsWith("evals.") && n.endsWith("/seed=1")));
  assert.equal(
    names.filter((n) => n.startsWith("evals.")).length,
    keys.get("adapter-eval")!.size,
    "every evaluation reaches the report",
  );
});
