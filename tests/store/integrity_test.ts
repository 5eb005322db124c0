import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as Effect from "effect/Effect";
import * as Option from "effect/Option";
import { Store } from "../../src/store/Store.ts";
import { info, keyOf, type Logs, runTest, writeFiles } from "./helpers.ts";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");

/** Writes `files` as the entry of `key`, applies `damage` to its artifact folder, then looks it up. */
const lookupAfter = (
  label: string,
  files: Record<string, string>,
  damage: (artifactDir: string) => Promise<void>,
) => {
  const key = keyOf(label);
  const logs: Logs = { lines: [] };
  return runTest(
    Effect.gen(function* () {
      const store = yield* Store;
      yield* store.write(key, info(), (dir) => writeFiles(dir, files));
      yield* Effect.promise(() => damage(store.artifactDir(key)));
      const found = yield* store.lookup(key);
      const gone = yield* Effect.promise(() =>
        Deno.stat(store.artifactDir(key)).then(() => false, () => true)
      );
      return { key, found, gone, warnings: logs.lines.filter((l) => l.startsWith("Warn")) };
    }),
    logs,
  );
};

const flipByte = (path: string, at: number) =>
  Deno.readFile(path).then((bytes) => {
    bytes[at] = bytes[at]! ^ 0x01;
    return Deno.writeFile(path, bytes);
  });

Deno.test("lookup() of an entry whose file had a byte flipped right after the commit is None with a warning naming key and file", async () => {
  const r = await lookupAfter(
    "flip-after-commit",
    { "value.json": '{"fdClf":1}\n' },
    (dir) => flipByte(`${dir}/value.json`, 3),
  );
  assert.ok(Option.isNone(r.found));
  assert.ok(r.gone, `the corrupt entry is removed ${JSON.stringify(r)}`);
  assert.equal(r.warnings.length, 1, r.warnings.join("\n"));
  assert.match(r.warnings[0]!, new RegExp(`${r.key}.*value\\.json has sha256`));
});

Deno.test("lookup() of an entry with a truncated file is None with a warning naming the file", async () => {
  const r = await lookupAfter(
    "truncated",
    { "classifier.bin": "0123456789" },
    (dir) => Deno.truncate(`${dir}/classifier.bin`, 4),
  );
  assert.ok(Option.isNone(r.found));
  assert.match(r.warnings[0]!, /classifier\.bin has 4 bytes, expected 10/);
});

Deno.test("lookup() of an entry whose artifact folder is missing is None with a warning, not an error", async () => {
  const r = await lookupAfter(
    "no-artifact",
    { "value.json": "1\n" },
    (dir) => Deno.remove(dir, { recursive: true }),
  );
  assert.ok(Option.isNone(r.found));
  assert.match(r.warnings[0]!, /artifact\/ is missing/);
});

Deno.test("lookup() of an entry containing a symbolic link is None, the link never followed", async () => {
  const r = await lookupAfter("symlink", { "value.json": "1\n" }, async (dir) => {
    await Deno.remove(`${dir}/value.json`);
    // Deno.symlink needs unscoped permissions; the test task grants unscoped --allow-run
    await new Deno.Command("ln", { args: ["-s", "/etc/hostname", `${dir}/value.json`] }).output();
  });
  assert.ok(Option.isNone(r.found));
  assert.match(r.warnings[0]!, /value\.json is a symbolic link/);
});

Deno.test("lookup() re-hashes a file whose inode changed and keeps it when the bytes still match", async () => {
  const r = await lookupAfter("replaced-same-bytes", { "value.json": "1\n" }, async (dir) => {
    await Deno.copyFile(`${dir}/value.json`, `${dir}/copy`);
    await Deno.rename(`${dir}/copy`, `${dir}/value.json`);
  });
  assert.ok(Option.isSome(r.found));
  assert.deepEqual(r.warnings, []);
});

Deno.test("lookup() trusts an unchanged stamp; verify() re-hashes and catches an edit that restored the mtime", async () => {
  const key = keyOf("stamp-forged");
  await runTest(Effect.gen(function* () {
    const store = yield* Store;
    yield* store.write(key, info(), (dir) => writeFiles(dir, { "weights.bin": "abcdefgh" }));
    const path = `${store.artifactDir(key)}/weights.bin`;
    yield* Effect.promise(async () => {
      const before = await Deno.stat(path);
      await flipByte(path, 2);
      await Deno.utime(path, before.atime!, before.mtime!);
    });
    assert.ok(Option.isSome(yield* store.lookup(key)), "size, mtime and inode all match");
    const error = yield* Effect.flip(store.verify(key));
    assert.equal(error._tag, "CorruptEntry");
    assert.match(error.message, /weights\.bin has sha256/);
  }));
});

Deno.test("lookup() still reads a schema-version-1 entry (bare sha256 fields) as sha256", async () => {
  const key = keyOf("v1");
  await runTest(Effect.gen(function* () {
    const store = yield* Store;
    const written = yield* store.write(key, info(), (dir) => writeFiles(dir, { a: "1" }));
    const metaPath = `${store.artifactDir(key)}/../meta.json`;
    const v1 = {
      ...written,
      schemaVersion: 1,
      files: written.files.map((f) => ({ path: f.path, size: f.size, sha256: f.digest })),
      checksum: written.checksum.digest,
    };
    yield* Effect.promise(() => Deno.writeTextFile(metaPath, JSON.stringify(v1)));
    yield* Effect.promise(() => Deno.remove(`${store.artifactDir(key)}/../stamps.json`));
    const found = Option.getOrThrow(yield* store.lookup(key));
    assert.deepEqual(found.files, [{ path: "a", size: 1, algorithm: "sha256", digest: sha("1") }]);
    assert.deepEqual(yield* store.verify(key), found);
  }));
});

Deno.test("lookup() racing the commit of the same key never calls the entry corrupt", async () => {
  const logs: Logs = { lines: [] };
  await runTest(
    Effect.gen(function* () {
      const store = yield* Store;
      for (let i = 0; i < 60; i++) {
        const key = keyOf(`race-${i}`);
        const reader = Effect.gen(function* () {
          for (;;) if (Option.isSome(yield* store.lookup(key))) return;
        });
        yield* Effect.all([
          reader,
          store.write(key, info(), (dir) => writeFiles(dir, { a: "1" })),
        ], { concurrency: "unbounded" });
      }
    }),
    logs,
  );
  assert.deepEqual(logs.lines.filter((l) => l.startsWith("Warn")), []);
});
