/**
 * src/platform/: the only place that names the runtime, and its file system, lock, process and
 * spawn adapters answering the same on either runtime. Runs under `deno test` and `bun test`.
 */
import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as fsys from "../../src/platform/fs.ts";
import { openLockFile } from "../../src/platform/lockFile.ts";
import { runtimeName, runtimeVersion, runtimeVersions } from "../../src/platform/runtime.ts";
import { runCommand } from "../../src/platform/spawn.ts";
import { testCase, testRuntime } from "../helpers/testCase.ts";

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(join(dir, e.name))
      : e.name.endsWith(".ts")
      ? [join(dir, e.name)]
      : []
  );

/** `file:line` of every `Deno.` in `<root>/<dirs>` outside `src/platform/`, comments included. */
const denoUses = (root: string, dirs: readonly string[]): string[] =>
  dirs.flatMap((d) => sourceFiles(join(root, d)))
    .filter((f) => !relative(root, f).startsWith("src/platform/"))
    .flatMap((f) =>
      readFileSync(f, "utf8").split("\n").flatMap((line, i) =>
        /\bDeno\./.test(line) ? [`${relative(root, f)}:${i + 1}`] : []
      )
    );
const denoUsesOutsidePlatform = (root: string): string[] => denoUses(root, ["src"]);

const withTempDir = async (fn: (dir: string) => Promise<void> | void) => {
  const dir = mkdtempSync(join(tmpdir(), "diffrun-platform-"));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

testCase("src/ uses no Deno.* API outside src/platform/", () => {
  assert.deepEqual(denoUsesOutsidePlatform(projectRoot), []);
});

testCase("experiments/ and pipelines/ use no Deno.* API (the CLI imports them on Bun too)", () => {
  assert.deepEqual(denoUses(projectRoot, ["experiments", "pipelines"]), []);
});

testCase(
  "denoUsesOutsidePlatform() reports a Deno call outside src/platform/ only",
  () =>
    withTempDir((root) => {
      mkdirSync(join(root, "src/core"), { recursive: true });
      mkdirSync(join(root, "src/platform"), { recursive: true });
      writeFileSync(join(root, "src/core/a.ts"), "export const x = 1;\nconst y = Deno" + ".pid;\n");
      writeFileSync(join(root, "src/platform/b.ts"), "export const z = Deno" + ".pid;\n");
      assert.deepEqual(denoUsesOutsidePlatform(root), ["src/core/a.ts:2"]);
    }),
);

testCase("runtimeName() names the runtime running the tests, with its version", () => {
  assert.equal(runtimeName(), testRuntime());
  assert.match(runtimeVersion(), /^\d+\.\d+\.\d+/);
  assert.equal(runtimeVersions().name, testRuntime());
});

testCase(
  "fs errors are classified as not found and already exists",
  () =>
    withTempDir(async (dir) => {
      const missing = join(dir, "missing");
      await assert.rejects(fsys.stat(missing), (e) => fsys.isNotFound(e));
      assert.throws(() => fsys.lstatSync(missing), (e) => fsys.isNotFound(e));
      await assert.rejects(fsys.readTextFile(missing), (e) => fsys.isNotFound(e));
      await fsys.mkdir(join(dir, "d"));
      await assert.rejects(fsys.mkdir(join(dir, "d")), (e) => fsys.isAlreadyExists(e));
      await fsys.mkdir(join(dir, "d"), { recursive: true }); // recursive: existing is fine
      fsys.writeTextFileSync(join(dir, "f"), "x", { createNew: true });
      assert.throws(
        () => fsys.writeTextFileSync(join(dir, "f"), "y", { createNew: true }),
        (e) => fsys.isAlreadyExists(e),
      );
      assert.equal(fsys.isNotFound(new Error("other")), false);
    }),
);

testCase(
  "fs readDir() and stat() describe files, folders and links alike",
  () =>
    withTempDir(async (dir) => {
      await fsys.writeTextFile(join(dir, "a.txt"), "hello");
      await fsys.writeTextFile(join(dir, "a.txt"), " world", { append: true });
      await fsys.mkdir(join(dir, "sub"));
      await fsys.link(join(dir, "a.txt"), join(dir, "b.txt"));
      const entries = (await Array.fromAsync(fsys.readDir(dir)))
        .map((e) => `${e.name}:${e.isFile ? "f" : e.isDirectory ? "d" : "?"}`).sort();
      assert.deepEqual(entries, ["a.txt:f", "b.txt:f", "sub:d"]);
      const a = await fsys.lstat(join(dir, "a.txt"));
      const b = await fsys.lstat(join(dir, "b.txt"));
      assert.equal(a.size, "hello world".length);
      assert.equal(a.ino, b.ino); // a hard link shares the inode
      assert.equal(await fsys.readTextFile(join(dir, "b.txt")), "hello world");
      await fsys.remove(join(dir, "sub"));
      await fsys.remove(join(dir, "a.txt"));
      assert.deepEqual(fsys.readDirSync(dir).map((e) => e.name), ["b.txt"]);
    }),
);

testCase(
  "openLockFile() grants the exclusive lock to one open file at a time",
  () =>
    withTempDir(async (dir) => {
      const path = join(dir, "key.lock");
      const first = await openLockFile(path, true);
      const second = await openLockFile(path, false);
      try {
        assert.equal(await first.tryLock(), true);
        assert.equal(await second.tryLock(), false);
        await first.overwrite(new TextEncoder().encode("a longer record\n"));
        await first.overwrite(new TextEncoder().encode("short\n"));
        assert.equal(readFileSync(path, "utf8"), "short\n");
        assert.equal(await first.ino(), (await fsys.lstat(path)).ino);
        first.close();
        assert.equal(await second.tryLock(), true); // closing dropped the lock
      } finally {
        first.close();
        second.close();
      }
    }),
);

testCase("runCommand() collects a program's output and exit code", async () => {
  const ok = await runCommand("sh", { args: ["-c", "printf out; printf err >&2; exit 3"] });
  assert.equal(new TextDecoder().decode(ok.stdout), "out");
  assert.equal(new TextDecoder().decode(ok.stderr), "err");
  assert.equal(ok.code, 3);
  assert.equal(ok.success, false);
  await assert.rejects(
    runCommand("diffrun-no-such-program-here"),
    (e) => fsys.isNotFound(e),
  );
});
