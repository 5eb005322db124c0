import assert from "node:assert/strict";
import * as Deferred from "effect/Deferred";
import * as Effect from "effect/Effect";
import * as Fiber from "effect/Fiber";
import { Store } from "../../src/store/Store.ts";
import { keyOf, listTree, runTest } from "./helpers.ts";

Deno.test("sweep() removes dead holders' tmp/ items and lock files, and spares a live holder's", async () => {
  const live = keyOf("live");
  const dead = keyOf("dead");
  await runTest(Effect.gen(function* () {
    const store = yield* Store;
    const tmp = `${store.root}/tmp`;
    const held = yield* Deferred.make<void>();
    const done = yield* Deferred.make<void>();
    const holder = yield* Effect.forkChild(
      store.withLock(
        live,
        Deferred.succeed(held, undefined).pipe(Effect.andThen(Deferred.await(done))),
      ),
    );
    yield* Deferred.await(held);
    yield* Effect.promise(async () => {
      await Deno.mkdir(`${tmp}/${live}.a.scratch`);
      await Deno.mkdir(`${tmp}/${dead}.b.write/artifact`, { recursive: true });
      await Deno.writeTextFile(`${store.root}/locks/${dead}.lock`, '{"host":"x"}');
      // an older diffrun's scratch folder, made before the live holder took its lock
      await Deno.mkdir(`${tmp}/scratch-0123456789abcdef-01234567`);
      const old = new Date(Date.now() - 60_000);
      await Deno.utime(`${tmp}/scratch-0123456789abcdef-01234567`, old, old);
    });
    const report = yield* store.sweep();
    assert.deepEqual(report, { tmpRemoved: 2, locksRemoved: 1 });
    assert.deepEqual(yield* Effect.promise(() => listTree(tmp)), [`${live}.a.scratch`]);
    assert.deepEqual(yield* Effect.promise(() => listTree(`${store.root}/locks`)), [
      `${live}.lock`,
    ]);
    yield* Deferred.succeed(done, undefined);
    yield* Fiber.join(holder);
    yield* store.sweep();
    assert.deepEqual(yield* Effect.promise(() => listTree(tmp)), []);
  }));
});
