import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as Effect from "effect/Effect";
import * as Fiber from "effect/Fiber";
import * as Option from "effect/Option";
import { SCHEMA_VERSION, Store } from "../../src/store/Store.ts";
import { info, keyOf, listTree, type Logs, runTest, writeFiles } from "./helpers.ts";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");

Deno.test("write() then lookup() round-trips metadata with per-file and combined checksums", async () => {
  const key = keyOf("round-trip");
  await runTest(Effect.gen(function* () {
    const store = yield* Store;
    assert.ok(Option.isNone(yield* store.lookup(key)));
    const written = yield* store.write(
      key,
      info(),
      (dir) => writeFiles(dir, { "value.json": '{"a":1}\n', "_diffrun/log.txt": "hello" }),
    );
    assert.equal(written.schemaVersion, SCHEMA_VERSION);
    assert.equal(written.key, key);
    assert.deepEqual(written.files, [
      { path: "_diffrun/log.txt", size: 5, algorithm: "sha256", digest: sha("hello") },
      { path: "value.json", size: 8, algorithm: "sha256", digest: sha('{"a":1}\n') },
    ]);
    assert.equal(written.sizeBytes, 13);
    assert.equal(written.checksum.algorithm, "sha256");
    assert.match(written.checksum.digest, /^[0-9a-f]{64}$/);
    assert.ok(written.timings.durationMs >= 0);

    const found = yield* store.lookup(key);
    assert.deepEqual(Option.getOrThrow(found), written);
    assert.deepEqual(yield* store.verify(key), written);
    assert.equal(
      yield* Effect.promise(() => Deno.readTextFile(`${store.artifactDir(key)}/value.json`)),
      '{"a":1}\n',
    );
    assert.deepEqual(yield* Effect.promise(() => listTree(`${store.root}/tmp`)), []);
  }));
});

Deno.test("write() records the timings it is given", async () => {
  const timings = {
    startedAt: "2024-01-01T00:00:00.000Z",
    finishedAt: "2024-01-01T00:01:00.000Z",
    durationMs: 60000,
  };
  const meta = await runTest(Effect.gen(function* () {
    const store = yield* Store;
    return yield* store.write(
      keyOf("timings"),
      { ...info(), timings },
      (dir) => writeFiles(dir, { a: "1" }),
    );
  }));
  assert.deepEqual(meta.timings, timings);
});

Deno.test("verify() fails with CorruptEntry naming the key when an artifact byte flips", async () => {
  const key = keyOf("flip");
  await runTest(Effect.gen(function* () {
    const store = yield* Store;
    yield* store.write(key, info(), (dir) => writeFiles(dir, { "weights.bin": "abcdefgh" }));
    const path = `${store.artifactDir(key)}/weights.bin`;
    yield* Effect.promise(async () => {
      const bytes = await Deno.readFile(path);
      bytes[3] = bytes[3]! ^ 0xff;
      await Deno.writeFile(path, bytes);
    });
    const error = yield* Effect.flip(store.verify(key));
    assert.equal(error._tag, "CorruptEntry");
    assert.ok(error.message.includes(key), error.message);
    assert.ok(error.message.includes("weights.bin"), error.message);
    // The corrupt entry is gone: the caller recomputes.
    assert.ok(Option.isNone(yield* store.lookup(key)));
    yield* store.write(key, info(), (dir) => writeFiles(dir, { "weights.bin": "abcdefgh" }));
    assert.equal((yield* store.verify(key)).files.length, 1);
  }));
});

Deno.test("verify() reports an extra file, and MissingEntry for an absent key", async () => {
  const key = keyOf("extra");
  await runTest(Effect.gen(function* () {
    const store = yield* Store;
    yield* store.write(key, info(), (dir) => writeFiles(dir, { a: "1" }));
    yield* Effect.promise(() => Deno.writeTextFile(`${store.artifactDir(key)}/b`, "2"));
    const corrupt = yield* Effect.flip(store.verify(key));
    assert.equal(corrupt._tag, "CorruptEntry");
    assert.match(corrupt.message, /unexpected file b/);
    const missing = yield* Effect.flip(store.verify(keyOf("never-written")));
    assert.equal(missing._tag, "MissingEntry");
  }));
});

for (
  const [label, damage] of [
    ["truncated", (text: string) => text.slice(0, text.length / 2)],
    ["garbage", () => "\u0000\u0001not json"],
    ["schema-invalid", (text: string) => text.replace(/"sizeBytes": \d+/, '"sizeBytes": -1')],
    [
      "other-version",
      (text: string) => text.replace(/"schemaVersion": \d+/, '"schemaVersion": 999'),
    ],
    ["missing", () => undefined],
  ] as const
) {
  Deno.test(`lookup() of an entry with ${label} meta.json is None with a warning, and recomputable`, async () => {
    const key = keyOf(`bad-meta-${label}`);
    const logs: Logs = { lines: [] };
    await runTest(
      Effect.gen(function* () {
        const store = yield* Store;
        yield* store.write(key, info(), (dir) => writeFiles(dir, { a: "1" }));
        const metaPath = `${store.artifactDir(key)}/../meta.json`;
        yield* Effect.promise(async () => {
          const damaged = damage(await Deno.readTextFile(metaPath));
          if (damaged === undefined) await Deno.remove(metaPath);
          else await Deno.writeTextFile(metaPath, damaged);
        });
        assert.ok(Option.isNone(yield* store.lookup(key)));
        assert.ok(
          logs.lines.some((l) => l.startsWith("Warn") && l.includes(key)),
          logs.lines.join("\n"),
        );
        const again = yield* store.write(key, info(), (dir) => writeFiles(dir, { a: "1" }));
        assert.deepEqual(Option.getOrThrow(yield* store.lookup(key)), again);
      }),
      logs,
    );
  });
}

Deno.test("write() whose writeArtifact fails leaves no entry and no staging dir", async () => {
  const key = keyOf("fails");
  await runTest(Effect.gen(function* () {
    const store = yield* Store;
    const error = yield* Effect.flip(
      store.write(
        key,
        info(),
        (dir) => Effect.andThen(writeFiles(dir, { a: "1" }), Effect.fail("boom" as const)),
      ),
    );
    assert.equal(error, "boom");
    assert.ok(Option.isNone(yield* store.lookup(key)));
    assert.deepEqual(yield* Effect.promise(() => listTree(`${store.root}/tmp`)), []);
    assert.deepEqual(yield* Effect.promise(() => listTree(`${store.root}/entries`)), []);
  }));
});

Deno.test("write() interrupted inside writeArtifact leaves no entry and no staging dir", async () => {
  const key = keyOf("interrupted");
  await runTest(Effect.gen(function* () {
    const store = yield* Store;
    let started!: () => void;
    const inside = new Promise<void>((resolve) => (started = resolve));
    const fiber = yield* Effect.forkChild(
      store.write(key, info(), (dir) =>
        writeFiles(dir, { a: "partial" }).pipe(
          Effect.andThen(Effect.sync(() => started())),
          Effect.andThen(Effect.never),
        )),
    );
    yield* Effect.promise(() => inside);
    assert.equal((yield* Effect.promise(() => listTree(`${store.root}/tmp`))).length > 0, true);
    yield* Fiber.interrupt(fiber);
    assert.ok(Option.isNone(yield* store.lookup(key)));
    assert.deepEqual(yield* Effect.promise(() => listTree(`${store.root}/tmp`)), []);
  }));
});

Deno.test("write() by two fibers of one key keeps the first commit and returns it to both", async () => {
  const key = keyOf("race");
  await runTest(Effect.gen(function* () {
    const store = yield* Store;
    const [a, b] = yield* Effect.all([
      store.write(key, info(), (dir) => writeFiles(dir, { v: "a" })),
      store.write(
        key,
        info(),
        (dir) => Effect.andThen(Effect.sleep(20), writeFiles(dir, { v: "b" })),
      ),
    ], { concurrency: 2 });
    assert.deepEqual(a, b);
    assert.deepEqual(yield* store.verify(key), a);
    assert.deepEqual(yield* Effect.promise(() => listTree(`${store.root}/tmp`)), []);
  }));
});

Deno.test("list() and remove() see committed entries only", async () => {
  await runTest(Effect.gen(function* () {
    const store = yield* Store;
    const keys = ["l1", "l2", "l3"].map(keyOf).sort();
    for (const k of keys) yield* store.write(k, info(), (dir) => writeFiles(dir, { k }));
    assert.deepEqual((yield* store.list()).map((m) => m.key), keys);
    assert.equal(yield* store.remove(keys[1]!), true);
    assert.equal(yield* store.remove(keys[1]!), false);
    assert.deepEqual((yield* store.list()).map((m) => m.key), [keys[0], keys[2]]);
  }));
});

Deno.test("lookup() of a malformed key is a defect", async () => {
  await assert.rejects(
    runTest(Effect.gen(function* () {
      const store = yield* Store;
      return yield* store.lookup("../../etc");
    })),
    /not a store key/,
  );
});

Deno.test("write() with inputs that are not keys is a defect and writes nothing", async () => {
  const key = keyOf("bad-info");
  await assert.rejects(
    runTest(Effect.gen(function* () {
      const store = yield* Store;
      return yield* store.write(
        key,
        { ...info(), inputs: { data: "not-a-key" } },
        () => Effect.void,
      );
    })),
    /cannot write [\s\S]*inputs\.data/,
  );
});
