/**
 * Folder stamps (src/store/stamps.ts): while every folder of an artifact keeps its stamp, a
 * reuse checks the recorded files with one lstat each instead of walking the folders; any entry
 * added to or removed from a folder changes that folder's mtime and brings the walk back.
 */
import assert from "node:assert/strict";
import * as Effect from "effect/Effect";
import * as Option from "effect/Option";
import { Store } from "../../src/store/Store.ts";
import { info, keyOf, type Logs, runTest, writeFiles } from "./helpers.ts";

const stampsOf = (artifactDir: string) =>
  Deno.readTextFile(`${artifactDir}/../stamps.json`).then((t) =>
    JSON.parse(t) as { version: number; files: object; dirs?: Record<string, unknown> }
  );

/** Writes the entry `label` (two files, one nested, and an empty folder), then runs `after`. */
const withEntry = <A>(
  label: string,
  after: (store: Store["Service"], key: string, artifactDir: string) => Effect.Effect<A, unknown>,
  logs: Logs = { lines: [] },
) => {
  const key = keyOf(label);
  return runTest(
    Effect.gen(function* () {
      const store = yield* Store;
      yield* store.write(key, info(), (dir) =>
        Effect.andThen(
          writeFiles(dir, { "value.json": "1\n", "sub/weights.bin": "abcdefgh" }),
          Effect.promise(() => Deno.mkdir(`${dir}/empty`)),
        ));
      return yield* after(store, key, store.artifactDir(key));
    }),
    logs,
  );
};

Deno.test("write() stamps every folder of the artifact, nested and empty ones included", async () => {
  const stamps = await withEntry(
    "folders-stamped",
    (_store, _key, dir) => Effect.promise(() => stampsOf(dir)),
  );
  assert.equal(stamps.version, 2);
  assert.deepEqual(Object.keys(stamps.dirs ?? {}).sort(), ["", "empty", "sub"]);
});

for (const [where, path] of [["a nested folder", "sub/extra"], ["an empty folder", "empty/x"]]) {
  Deno.test(`lookup() of an entry with a file added to ${where} after the commit is None`, async () => {
    const logs: Logs = { lines: [] };
    const found = await withEntry(`added-${path}`, (store, key, dir) =>
      Effect.andThen(
        Effect.promise(() => Deno.writeTextFile(`${dir}/${path}`, "x")),
        store.lookup(key),
      ), logs);
    assert.ok(Option.isNone(found));
    assert.match(logs.lines.join("\n"), new RegExp(`unexpected file ${path}`));
  });
}

Deno.test("lookup() trusts unchanged folder stamps (no walk); verify() walks and finds the added file", async () => {
  await withEntry("folder-stamp-forged", (store, key, dir) =>
    Effect.gen(function* () {
      // an added file, with its folder's mtime put back: only a walk can see it
      yield* Effect.promise(async () => {
        const before = await Deno.stat(`${dir}/sub`);
        await Deno.writeTextFile(`${dir}/sub/extra`, "x");
        await Deno.utime(`${dir}/sub`, before.atime!, before.mtime!);
      });
      assert.ok(Option.isSome(yield* store.lookup(key)), "every folder stamp matches");
      const error = yield* Effect.flip(store.verify(key));
      assert.equal(error._tag, "CorruptEntry");
      assert.match(error.message, /unexpected file sub\/extra/);
    }));
});

Deno.test("lookup() of an entry stamped without folders walks it, then records every folder", async () => {
  const stamps = await withEntry("version-1-stamps", (store, key, dir) =>
    Effect.gen(function* () {
      yield* Effect.promise(async () => {
        const file = `${dir}/../stamps.json`;
        const { files } = JSON.parse(await Deno.readTextFile(file));
        await Deno.writeTextFile(file, JSON.stringify({ version: 1, files }));
        // folders older than the 2 s a fresh mtime must settle before it is stamped
        const old = new Date(Date.now() - 10_000);
        for (const folder of ["sub", "empty", ""]) await Deno.utime(`${dir}/${folder}`, old, old);
      });
      assert.ok(Option.isSome(yield* store.lookup(key)));
      return yield* Effect.promise(() => stampsOf(dir));
    }));
  assert.equal(stamps.version, 2);
  assert.deepEqual(Object.keys(stamps.dirs ?? {}).sort(), ["", "empty", "sub"]);
});
