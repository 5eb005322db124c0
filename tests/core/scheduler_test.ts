import assert from "node:assert/strict";
import * as Effect from "effect/Effect";
import * as Fiber from "effect/Fiber";
import * as Exit from "effect/Exit";
import { join } from "node:path";
import { loadAndPlan, runPlanned } from "../../src/core/runner.ts";
import { Store } from "../../src/store/Store.ts";
import { readManifest } from "../../src/core/runDir.ts";
import { projectRoot, runToy, tempEnv, toyExperiment } from "./helpers.ts";

Deno.test("runPlanned() runs a shared upstream stage once for every arm", async () => {
  await using env = await tempEnv();
  const outcome = await runToy(env);
  assert.equal(outcome.status, "succeeded");
  const c = env.counts();
  assert.equal(c["numbers n=4"], 1);
  assert.equal(c["scale factor=1"], 1);
  assert.equal(c["scale factor=2"], 1);
  assert.equal(c["scale factor=3"], 1);
  assert.equal(c["total"], 3);
});

Deno.test("runPlanned() re-run is a full cache hit with the same summary", async () => {
  await using env = await tempEnv();
  const first = await runToy(env);
  const before = JSON.stringify(env.counts());
  const second = await runToy(env);
  assert.equal(JSON.stringify(env.counts()), before, "nothing ran the second time");
  assert.ok([...second.results.values()].every((r) => r.status === "cached"));
  const summary = (dir: string) =>
    Deno.readTextFileSync(join(dir, "summary.md")).split("## Stages")[0]!;
  assert.equal(summary(second.runDir), summary(first.runDir));
  assert.match(summary(second.runDir), /\| factor=2 \| 2 \| \d+ \| 4 \|/);
});

Deno.test("runPlanned() logs a cached re-run's stages in logs/cached.txt, one line each, no stage log", async () => {
  await using env = await tempEnv();
  const first = await runToy(env);
  const second = await runToy(env);
  const names = (dir: string) => [...Deno.readDirSync(join(dir, "logs"))].map((e) => e.name).sort();
  assert.ok(names(first.runDir).length > 1 && !names(first.runDir).includes("cached.txt"));
  assert.deepEqual(names(second.runDir), ["cached.txt"]);
  const lines = Deno.readTextFileSync(join(second.runDir, "logs", "cached.txt")).trim().split("\n");
  assert.equal(lines.length, second.results.size);
  for (const r of second.results.values()) {
    assert.ok(
      lines.some((l) => l.includes(` ${r.label} key=${r.key.slice(0, 12)} (ran in `)),
      `a line for ${r.label}`,
    );
  }
});

Deno.test("runPlanned() adding an arm runs only that arm's stages", async () => {
  await using env = await tempEnv();
  await runToy(env);
  await runToy(env, { overrides: ["factor=[1,2,3,10]"] });
  const c = env.counts();
  assert.equal(c["numbers n=4"], 1);
  assert.equal(c["scale factor=10"], 1);
  assert.equal(c["scale factor=1"], 1);
  assert.equal(c["total"], 4);
});

Deno.test("runPlanned() fails fast and records the failure in the manifest", async () => {
  await using env = await tempEnv();
  const outcome = await runToy(env, { overrides: ["failFactor=2", "steps=4"], jobs: 1 });
  assert.equal(outcome.status, "failed");
  const m = await readManifest(outcome.runDir);
  const failed = m.stages.find((s) => s.label === "scale[factor=2]")!;
  assert.equal(failed.status, "failed");
  assert.match(String((failed as Record<string, unknown>).error), /factor 2 was asked to fail/);
  assert.equal(m.status, "failed");
});

Deno.test("runPlanned() with keepGoing finishes independent arms and skips dependants", async () => {
  await using env = await tempEnv();
  const outcome = await runToy(env, { overrides: ["failFactor=2", "steps=4"], keepGoing: true });
  const byLabel = new Map([...outcome.results.values()].map((r) => [r.label, r.status]));
  assert.equal(byLabel.get("scale[factor=2]"), "failed");
  assert.equal(byLabel.get("total[factor=2]"), "skipped");
  assert.equal(byLabel.get("total[factor=1]"), "ran");
  assert.equal(byLabel.get("total[factor=3]"), "ran");
  assert.equal(outcome.status, "failed");
});

Deno.test("runPlanned() never runs more compute stages at once than --jobs", async () => {
  await using env = await tempEnv();
  const outcome = await runToy(env, { overrides: ["sleepMs=30", "steps=3"], jobs: 1 });
  const m = await readManifest(outcome.runDir);
  const spans = m.stages.filter((s) => s.stage === "scale").map((s) => {
    const r = s as unknown as { startedAt: string; finishedAt: string };
    return [Date.parse(r.startedAt), Date.parse(r.finishedAt)] as const;
  }).sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    assert.ok(spans[i]![0] >= spans[i - 1]![1], "compute stages overlapped with jobs=1");
  }
});

Deno.test("runPlanned() interrupted mid-stage leaves no entry, marks the run, and resumes from the checkpoint", async () => {
  await using env = await tempEnv();
  const plan = await loadAndPlan({
    experimentFile: toyExperiment,
    profile: "slow",
    overrides: ["sleepMs=40"],
    projectRoot,
  });
  const scaleKey = [...plan.nodes.values()].find((n) => n.def.name === "scale")!.key;
  const request = {
    experimentFile: toyExperiment,
    profile: "slow",
    overrides: ["sleepMs=40"],
    jobs: 1,
    cores: 2,
    keepGoing: false,
    projectRoot,
    resultsRoot: env.results,
    argv: [],
    write: () => {},
    tty: false,
  };
  const program = Effect.gen(function* () {
    const store = yield* Store;
    return yield* runPlanned(plan, request, store);
  }).pipe(Effect.provide(Store.layer(env.store)));
  const fiber = Effect.runFork(program);
  // wait until a few checkpoints exist, then interrupt
  const checkpointDir = join(env.store, "checkpoints", scaleKey);
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 50));
    if ((await Deno.stat(checkpointDir).catch(() => null)) !== null && i > 6) break;
  }
  const exit = await Effect.runPromise(
    Fiber.interrupt(fiber).pipe(Effect.andThen(Fiber.await(fiber))),
  );
  assert.ok(Exit.isFailure(exit));
  const entry = await Deno.stat(join(env.store, "entries", scaleKey.slice(0, 2), scaleKey)).catch(
    () => null,
  );
  assert.equal(entry, null, "no entry published for the interrupted stage");
  const runs = [...Deno.readDirSync(join(env.results, "toy"))];
  const m = await readManifest(join(env.results, "toy", runs[0]!.name));
  assert.equal(m.status, "interrupted");

  const again = await runToy(env, { profile: "slow", overrides: ["sleepMs=40"] });
  assert.equal(again.status, "succeeded");
  const scale = [...again.results.values()].find((r) => r.key === scaleKey)!;
  assert.equal(scale.resumed, true, "the second attempt resumed from the checkpoint");
  const log = Deno.readTextFileSync(join(again.runDir, "logs", "scale.log"));
  assert.match(log, /resumed at step [1-9]\d*/);
  // the resumed result equals an uninterrupted computation
  await using fresh = await tempEnv();
  const clean = await runToy(fresh, { profile: "slow", overrides: ["sleepMs=0"] });
  const total = (dir: string) =>
    Deno.readTextFileSync(join(dir, "summary.md")).split("## Stages")[0]!;
  assert.equal(total(again.runDir), total(clean.runDir));
});

Deno.test("runPlanned() recomputes an input whose entry is corrupt instead of using it", async () => {
  await using env = await tempEnv();
  const first = await runToy(env);
  const numbersKey = [...first.plan.nodes.values()].find((n) => n.def.name === "numbers")!.key;
  const valueFile = join(
    env.store,
    "entries",
    numbersKey.slice(0, 2),
    numbersKey,
    "artifact",
    "value.json",
  );
  await Deno.writeTextFile(valueFile, "[1,2,3,999]\n");
  // a new arm needs the corrupt entry as input
  const second = await runToy(env, { overrides: ["factor=[5]"] });
  assert.equal(second.status, "succeeded");
  assert.equal(env.counts()["numbers n=4"], 2, "the corrupt entry was recomputed");
  const restored = JSON.parse(await Deno.readTextFile(valueFile));
  assert.notDeepEqual(restored, [1, 2, 3, 999]);
});
