/** A stage waiting for its key's lock holds no compute slot: unrelated stages keep running. */
import assert from "node:assert/strict";
import * as Deferred from "effect/Deferred";
import * as Effect from "effect/Effect";
import * as Fiber from "effect/Fiber";
import { loadAndPlan } from "../../src/core/runner.ts";
import { Store } from "../../src/store/Store.ts";
import { projectRoot, runToy, tempEnv, toyExperiment } from "../core/helpers.ts";

Deno.test("runPlanned() with one compute slot runs a stage while two others wait for locks held elsewhere", async () => {
  const env = await tempEnv();
  try {
    const plan = await loadAndPlan({ experimentFile: toyExperiment, overrides: [], projectRoot });
    const [a, b] = [...plan.nodes.values()].filter((n) =>
      n.label === "scale[factor=2]" || n.label === "scale[factor=3]"
    );
    await Effect.runPromise(
      Effect.gen(function* () {
        const store = yield* Store;
        const taken = yield* Deferred.make<void>();
        const release = yield* Deferred.make<void>();
        // another holder of two keys (a second store handle: its own open files and flocks)
        const holder = yield* Effect.forkChild(
          store.withLock(
            a!.key,
            store.withLock(
              b!.key,
              Deferred.succeed(taken, undefined).pipe(Effect.andThen(Deferred.await(release))),
            ),
          ),
        );
        yield* Deferred.await(taken);
        const run = yield* Effect.forkChild(Effect.promise(() => runToy(env, { jobs: 1 })));
        // the third scale stage runs although the two waiting for their locks may come first
        for (let i = 0; i < 3_000 && env.counts()["scale factor=1"] !== 1; i++) {
          yield* Effect.promise(() => new Promise((r) => setTimeout(r, 5)));
        }
        const c = env.counts();
        assert.deepEqual(
          [c["scale factor=1"], c["scale factor=2"], c["scale factor=3"]],
          [1, undefined, undefined],
        );
        yield* Deferred.succeed(release, undefined);
        yield* Fiber.join(holder);
        const outcome = yield* Fiber.join(run);
        assert.equal(outcome.status, "succeeded");
        assert.equal(env.counts()["scale factor=2"], 1);
        assert.equal(env.counts()["scale factor=3"], 1);
      }).pipe(Effect.provide(Store.layer(env.store))),
    );
  } finally {
    await Deno.remove(env.dir, { recursive: true });
  }
});
