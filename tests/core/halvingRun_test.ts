/**
 * Successive halving end to end on toy stages with known loss curves
 * (testdata/halving_pipeline.ts): the right arms go on at every rung, exactly the stages they
 * need run (counted), a re-run decides the same from the cache and computes nothing, and a
 * stopped arm continues later reusing its segments.
 */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { planIssues, projectRoot, runToy, type TempEnv, tempEnv } from "./helpers.ts";
import { readManifest } from "../../src/core/runDir.ts";
import { HalvingRecordSchema } from "../../src/core/halvingRecord.ts";
import { planExperiment } from "../../src/core/plan.ts";
import * as v from "valibot";
import experiment from "./testdata/halving_experiment.ts";

const file = resolve(projectRoot, "tests/core/testdata/halving_experiment.ts");

const record = async (dir: string) =>
  v.parse(HalvingRecordSchema, JSON.parse(await Deno.readTextFile(join(dir, "halving.json"))));

/** Stage executions of the last run (and clears the counter). */
const ranNow = (env: TempEnv): string[] => {
  const lines = Object.entries(env.counts()).flatMap(([line, n]) => Array(n).fill(line));
  Deno.writeTextFileSync(env.counter, "");
  return lines.sort();
};

Deno.test("runHalving() keeps the best half at each rung and runs exactly the stages they need", async () => {
  await using env = await tempEnv();
  const outcome = await runToy(env, { file });
  assert.equal(outcome.status, "succeeded");
  assert.deepEqual(
    ranNow(env),
    [
      // rung 1 (step 2): all six arms; rung 2 (step 4): good, fast, steady; rung 3: good, fast
      ...["diverges", "fast", "flat", "good", "late", "steady"].map((a) => `evaluate ${a} 2`),
      "evaluate fast 4",
      "evaluate fast 8",
      "evaluate good 4",
      "evaluate good 8",
      "evaluate steady 4",
      "segment diverges 2",
      "segment fast 2",
      "segment fast 4",
      "segment fast 6",
      "segment fast 8",
      "segment flat 2",
      "segment good 2",
      "segment good 4",
      "segment good 6",
      "segment good 8",
      "segment late 2",
      "segment steady 2",
      "segment steady 4",
      "table arm=fast+arm=good",
    ].sort(),
  );
  const h = await record(outcome.runDir);
  assert.deepEqual(h.decisions.map((d) => d.continuing), [
    ["arm=fast", "arm=steady", "arm=good"],
    ["arm=fast", "arm=good"], // fast ties steady at 1.5 and was declared first
    ["arm=fast", "arm=good"],
  ]);
  assert.deepEqual(h.decisions[0]!.ranking.map((r) => [r.arm, r.score]), [
    ["arm=good", 1.3],
    ["arm=fast", 2],
    ["arm=steady", 2.5],
    ["arm=flat", 3],
    ["arm=late", 8],
    ["arm=diverges", null], // no finite metric: last
  ]);
  assert.deepEqual(h.survivors, ["arm=good", "arm=fast"]);
  const summary = await Deno.readTextFile(join(outcome.runDir, "summary.md"));
  assert.match(
    summary,
    /Survivors at budget 8, best first:\n\n1\. arm=good: 0\.925\n2\. arm=fast: 1\.25/,
  );
  assert.match(
    summary,
    /Stopped: arm=late \(budget 2\), arm=flat \(budget 2\), arm=diverges \(budget 2\), arm=steady \(budget 4\)/,
  );
  // the manifest lists the cross-arm stage that ran, and each arm's outputs at its last rung
  const m = await readManifest(outcome.runDir);
  const table = m.stages.filter((s) => s.stage === "table");
  assert.equal(table.length, 1);
  assert.equal(table[0]!.status, "ran");
  const late = m.arms.find((a) => a.id === "arm=late")!;
  const lateEval = m.stages.find((s) => s.key === late.outputs.eval)!;
  assert.equal(lateEval.label, "evaluate:step 2[arm=late]");
  const report = await Deno.readTextFile(join(outcome.runDir, "report.html"));
  assert.match(report, /Successive halving/);

  // the same command again: the same decisions from the cache, nothing computed
  const again = await runToy(env, { file });
  assert.deepEqual(ranNow(env), []);
  assert.deepEqual((await record(again.runDir)).decisions, h.decisions);
});

Deno.test("halving.keep=1 and --extend continue stopped arms, reusing their segments", async () => {
  await using env = await tempEnv();
  await runToy(env, { file });
  ranNow(env);
  // --extend late: only that arm, from its cached step-2 segment to step 8
  const extended = await runToy(env, { file, overrides: ["halving.extend=arm=late"] });
  assert.equal(extended.status, "succeeded");
  assert.deepEqual(ranNow(env), [
    "evaluate late 4",
    "evaluate late 8",
    "segment late 4",
    "segment late 6",
    "segment late 8",
    "table arm=late",
  ]);
  // keep=1: every arm to the end; only what no run computed yet
  const all = await runToy(env, { file, overrides: ["halving.keep=1"] });
  assert.deepEqual(ranNow(env).filter((l) => l.startsWith("segment")), [
    "segment diverges 4",
    "segment diverges 6",
    "segment diverges 8",
    "segment flat 4",
    "segment flat 6",
    "segment flat 8",
    "segment steady 6",
    "segment steady 8",
  ]);
  assert.equal((await record(all.runDir)).survivors.length, 6);
});

Deno.test("runHalving() ranks replicate arms by their mean and keeps their seeds together", async () => {
  await using env = await tempEnv();
  const outcome = await runToy(env, { file, overrides: ["replicates=2", "halving.keep=1/3"] });
  const h = await record(outcome.runDir);
  assert.deepEqual(h.arms["arm=good"], ["arm=good/seed=0", "arm=good/seed=1"]);
  const good = h.decisions[0]!.ranking[0]!;
  assert.equal(good.arm, "arm=good");
  assert.deepEqual(good.values, [1.3, 1.31]);
  assert.ok(Math.abs(good.score! - 1.305) < 1e-12);
  assert.deepEqual(h.decisions.map((d) => d.continuing), [["arm=fast", "arm=good"], [
    "arm=good",
  ], ["arm=good"]]);
  const ran = ranNow(env);
  assert.equal(ran.filter((l) => l === "segment good 8").length, 2, "both seeds of the survivor");
  assert.equal(ran.filter((l) => l === "segment fast 4").length, 2, "both seeds of rung 2");
  assert.equal(ran.filter((l) => l.startsWith("segment fast 6")).length, 0);
});

Deno.test("plan() shows the rungs and the work bounds, and rejects halving it cannot run", () => {
  const planned = planExperiment(experiment, { file: "exp.ts", root: projectRoot });
  assert.deepEqual(planned.halving!.work, {
    armsPerRung: [6, 3, 2],
    budgetWithHalving: 6 * 2 + 3 * 2 + 2 * 4,
    budgetWithout: 6 * 8,
    stagesAtMost: 25,
    stagesWithout: 31,
  });
  const issues = (overrides: string[]) =>
    planIssues(() => planExperiment(experiment, { file: "exp.ts", root: projectRoot, overrides }))
      .map((i) => i.message).join("\n");
  assert.match(
    issues(["steps=[4,8]"]),
    /halving sets "steps" at every rung, so the sweep cannot also assign it/,
  );
  assert.match(
    issues(["halving.metric=summary.loss"]),
    /names output "summary", which arm arm=fast does not have; its outputs: model, eval/,
  );
  assert.match(issues(["halving.budget=stepz"]), /halving.budget: .*"stepz"/);
  assert.match(
    issues(["halving.extend=nope"]),
    /--extend nope: the sweep has no such arm; its arms: arm=fast, arm=steady/,
  );
  assert.match(issues(["halving=off", "halving.extend=late"]), /runs without halving/);
  assert.match(issues(["halving.rungs=[4,2]"]), /rungs must increase strictly/);
  // off: the plain sweep, every arm to the pipeline's own budget
  const off = planExperiment(experiment, {
    file: "exp.ts",
    root: projectRoot,
    overrides: ["halving=off"],
  });
  assert.equal(off.halving, null);
});
