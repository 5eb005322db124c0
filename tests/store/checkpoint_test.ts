import assert from "node:assert/strict";
import * as Effect from "effect/Effect";
import * as Fiber from "effect/Fiber";
import * as Option from "effect/Option";
import { Store } from "../../src/store/Store.ts";
import { keyOf, listTree, runTest, writeFiles } from "./helpers.ts";

const read = (path: string) => Effect.promise(() => Deno.readTextFile(path));

Deno.test("saveCheckpoint() / loadCheckpoint() / clearCheckpoint() keep exactly one checkpoint", async () => {
  const key = keyOf("checkpoint");
  await runTest(Effect.gen(function* () {
    const store = yield* Store;
    assert.ok(Option.isNone(yield* store.loadCheckpoint(key)));

    const first = yield* store.saveCheckpoint(
      key,
      (dir) => writeFiles(dir, { "state.json": '{"step":1}' }),
    );
    assert.equal(Option.getOrThrow(yield* store.loadCheckpoint(key)), first);
    assert.equal(yield* read(`${first}/state.json`), '{"step":1}');

    const second = yield* store.saveCheckpoint(
      key,
      (dir) => writeFiles(dir, { "state.json": '{"step":2}' }),
    );
    const loaded = Option.getOrThrow(yield* store.loadCheckpoint(key));
    assert.equal(loaded, second);
    assert.equal(yield* read(`${loaded}/state.json`), '{"step":2}');
    // Exactly one generation left, and nothing in tmp/.
    assert.equal(
      (yield* Effect.promise(() => listTree(`${store.root}/checkpoints/${key}`))).length,
      2,
    );
    assert.deepEqual(yield* Effect.promise(() => listTree(`${store.root}/tmp`)), []);

    yield* store.clearCheckpoint(key);
    assert.ok(Option.isNone(yield* store.loadCheckpoint(key)));
    yield* store.clearCheckpoint(key); // clearing nothing is fine
  }));
});

Deno.test("saveCheckpoint() that fails or is interrupted keeps the previous checkpoint", async () => {
  const key = keyOf("checkpoint-fail");
  await runTest(Effect.gen(function* () {
    const store = yield* Store;
    const first = yield* store.saveCheckpoint(key, (dir) => writeFiles(dir, { "state.json": "1" }));

    const error = yield* Effect.flip(
      store.saveCheckpoint(
        key,
        (dir) => Effect.andThen(writeFiles(dir, { "state.json": "2" }), Effect.fail("disk")),
      ),
    );
    assert.equal(error, "disk");
    assert.equal(Option.getOrThrow(yield* store.loadCheckpoint(key)), first);

    const fiber = yield* Effect.forkChild(
      store.saveCheckpoint(
        key,
        (dir) => Effect.andThen(writeFiles(dir, { "state.json": "3" }), Effect.never),
      ),
    );
    yield* Effect.sleep(20);
    yield* Fiber.interrupt(fiber);
    const loaded = Option.getOrThrow(yield* store.loadCheckpoint(key));
    assert.equal(loaded, first);
    assert.equal(yield* read(`${loaded}/state.json`), "1");
    assert.deepEqual(yield* Effect.promise(() => listTree(`${store.root}/tmp`)), []);
  }));
});

Deno.test("loadCheckpoint() picks the newest generation when a crash left two", async () => {
  const key = keyOf("checkpoint-two");
  await runTest(Effect.gen(function* () {
    const store = yield* Store;
    const first = yield* store.saveCheckpoint(key, (dir) => writeFiles(dir, { s: "old" }));
    // Simulate a crash between renaming the new generation in and deleting the old one.
    const newer = first.replace(/\d{12}$/, "000000000007");
    yield* Effect.promise(async () => {
      await Deno.mkdir(newer);
      await Deno.writeTextFile(`${newer}/s`, "new");
    });
    assert.equal(Option.getOrThrow(yield* store.loadCheckpoint(key)), newer);
    const next = yield* store.saveCheckpoint(key, (dir) => writeFiles(dir, { s: "newest" }));
    assert.ok(next.endsWith("000000000008"));
    assert.deepEqual(yield* Effect.promise(() => listTree(`${store.root}/checkpoints/${key}`)), [
      "000000000008",
      "000000000008/s",
    ]);
  }));
});
