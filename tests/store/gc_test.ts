import assert from "node:assert/strict";
import * as Effect from "effect/Effect";
import * as Fiber from "effect/Fiber";
import * as Option from "effect/Option";
import { Store } from "../../src/store/Store.ts";
import { awaitLockFile, info, keyOf, listTree, runTest, writeFiles } from "./helpers.ts";

const [kept, dropped1, dropped2] = ["gc-kept", "gc-dropped-1", "gc-dropped-2"].map(keyOf) as [
  string,
  string,
  string,
];

const populate = Effect.gen(function* () {
  const store = yield* Store;
  yield* store.write(kept, info(), (dir) => writeFiles(dir, { a: "12345" }));
  yield* store.write(dropped1, info(), (dir) => writeFiles(dir, { a: "1234567890" }));
  yield* store.write(dropped2, info(), (dir) => writeFiles(dir, { a: "123", b: "45" }));
  yield* store.saveCheckpoint(kept, (dir) => writeFiles(dir, { s: "1" }));
  yield* store.saveCheckpoint(dropped1, (dir) => writeFiles(dir, { s: "1" }));
  return store;
});

Deno.test("gc() in a dry run removes nothing and reports what it would free", async () => {
  await runTest(Effect.gen(function* () {
    const store = yield* populate;
    const before = yield* Effect.promise(() => listTree(store.root));
    const report = yield* store.gc({ referenced: new Set([kept]), dryRun: true });
    assert.deepEqual(
      [...report.removed].sort((a, b) => a.key.localeCompare(b.key)),
      [{ key: dropped1, sizeBytes: 10 }, { key: dropped2, sizeBytes: 5 }].sort((a, b) =>
        a.key.localeCompare(b.key)
      ),
    );
    assert.equal(report.keptCount, 1);
    assert.equal(report.freedBytes, 15);
    assert.deepEqual(report.checkpointsRemoved, [dropped1]);
    assert.deepEqual(yield* Effect.promise(() => listTree(store.root)), before);
  }));
});

Deno.test("gc() removes unreferenced entries and checkpoints and keeps referenced ones", async () => {
  await runTest(Effect.gen(function* () {
    const store = yield* populate;
    const report = yield* store.gc({ referenced: new Set([kept]), dryRun: false });
    assert.equal(report.removed.length, 2);
    assert.equal(report.freedBytes, 15);
    assert.deepEqual((yield* store.list()).map((m) => m.key), [kept]);
    assert.equal((yield* store.verify(kept)).key, kept);
    assert.ok(Option.isSome(yield* store.loadCheckpoint(kept)));
    assert.ok(Option.isNone(yield* store.loadCheckpoint(dropped1)));
    assert.deepEqual(yield* Effect.promise(() => listTree(`${store.root}/tmp`)), []);
  }));
});

Deno.test("gc() spares locked keys and young tmp leftovers, and collects old ones", async () => {
  await runTest(Effect.gen(function* () {
    const store = yield* populate;
    const holder = yield* Effect.forkChild(store.withLock(dropped1, Effect.never));
    yield* awaitLockFile(store.root, dropped1);
    // A leftover of some killed writer of an unlocked key, and one of the locked key.
    const orphan = `${store.root}/tmp/${dropped2}.x.write`;
    const busy = `${store.root}/tmp/${dropped1}.y.write`;
    yield* Effect.promise(async () => {
      await Deno.mkdir(orphan);
      await Deno.mkdir(busy);
    });

    const young = yield* store.gc({ referenced: new Set(), dryRun: false });
    assert.deepEqual(young.removed.map((r) => r.key).sort(), [kept, dropped2].sort());
    assert.equal(young.keptCount, 1);
    assert.deepEqual(young.checkpointsRemoved, [kept]);
    assert.equal(young.leftoversRemoved, 0);
    assert.ok(Option.isSome(yield* store.loadCheckpoint(dropped1)));

    const old = yield* store.gc({ referenced: new Set(), dryRun: false, tmpMaxAgeMs: -1 });
    assert.equal(old.leftoversRemoved, 1);
    assert.deepEqual(yield* Effect.promise(() => listTree(`${store.root}/tmp`)), [
      `${dropped1}.y.write`,
    ]);

    yield* Fiber.interrupt(holder);
    const after = yield* store.gc({ referenced: new Set(), dryRun: false, tmpMaxAgeMs: -1 });
    assert.deepEqual(after.removed.map((r) => r.key), [dropped1]);
    assert.deepEqual(after.checkpointsRemoved, [dropped1]);
    assert.deepEqual(yield* Effect.promise(() => listTree(`${store.root}/tmp`)), []);
    assert.deepEqual(yield* store.list(), []);
  }));
});
