import assert from "node:assert/strict";
import * as Effect from "effect/Effect";
import { join } from "node:path";
import { makeProgress } from "../../src/core/progress.ts";
import type { NodeResult } from "../../src/core/events.ts";
import type { PlanNode } from "../../src/core/plan.ts";
import { loadAndPlan, runPlanned } from "../../src/core/runner.ts";
import { Store } from "../../src/store/Store.ts";
import { projectRoot, tempEnv, toyExperiment } from "./helpers.ts";

const node = (key: string) => ({ key, label: key }) as unknown as PlanNode;
const result = (key: string, status: NodeResult["status"]): NodeResult => ({
  key,
  label: key,
  status,
  startedAt: null,
  finishedAt: null,
  durationMs: null,
  resumed: false,
  error: null,
});

Deno.test("makeProgress() counts a stage that finishes twice once, by its last status", () => {
  const progress = makeProgress({ tty: false, write: () => {}, now: () => 0 });
  progress.onEvent({ type: "finished", node: node("a"), result: result("a", "cached") });
  progress.onEvent({ type: "finished", node: node("b"), result: result("b", "cached") });
  // `a` turns out corrupt when `c` reads it, and is recomputed
  progress.onEvent({ type: "started", node: node("a") });
  progress.onEvent({ type: "finished", node: node("a"), result: result("a", "ran") });
  progress.onEvent({ type: "finished", node: node("c"), result: result("c", "ran") });
  assert.equal(progress.summary(), "2 ran, 1 cached, 0 failed, 0 skipped");
});

/** The stage names of a store's entries, by entry directory. */
const entriesOf = (store: string): { dir: string; stage: string }[] => {
  const out: { dir: string; stage: string }[] = [];
  for (const shard of Deno.readDirSync(join(store, "entries"))) {
    for (const e of Deno.readDirSync(join(store, "entries", shard.name))) {
      const dir = join(store, "entries", shard.name, e.name);
      out.push({ dir, stage: JSON.parse(Deno.readTextFileSync(join(dir, "meta.json"))).stage });
    }
  }
  return out;
};

Deno.test("runPlanned() progress line counts each stage once when a corrupt cached input is recomputed", async () => {
  const env = await tempEnv();
  const runOnce = () =>
    Effect.runPromise(
      Effect.gen(function* () {
        const plan = yield* Effect.promise(() =>
          loadAndPlan({ experimentFile: toyExperiment, overrides: [], projectRoot })
        );
        const store = yield* Store;
        let out = "";
        yield* runPlanned(plan, {
          experimentFile: toyExperiment,
          overrides: [],
          jobs: 1,
          cores: 1,
          keepGoing: false,
          projectRoot,
          resultsRoot: env.results,
          argv: [],
          write: (t) => void (out += t),
          tty: false,
        }, store);
        return { out, stages: plan.nodes.size };
      }).pipe(Effect.provide(Store.layer(env.store))),
    );
  const first = await runOnce();
  assert.match(first.out, /8 ran, 0 cached/);
  const entries = entriesOf(env.store);
  // one `scale` entry corrupt (its `total` must read it), every `total` gone
  const scale = entries.find((e) => e.stage === "scale")!;
  await Deno.writeTextFile(join(scale.dir, "artifact", "value.json"), "[9,9,9,9]");
  for (const e of entries.filter((e) => e.stage === "total")) {
    await Deno.remove(e.dir, { recursive: true });
  }
  const second = await runOnce();
  assert.equal(second.stages, 8);
  // recomputed: the corrupt scale and the 3 totals; cached: numbers, 2 scales, report
  assert.match(second.out, /4 ran, 4 cached, 0 failed, 0 skipped/);
});
