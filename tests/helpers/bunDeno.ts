/**
 * The part of Deno's namespace that the test files and their helpers use, built on `node:*`, so
 * the suite runs unchanged under `bun test` (docs/bun.md#tests-on-bun). Test code only: `src/`
 * never sees it (src/platform/ tells the runtimes apart by Bun's own global).
 *
 * `new Deno.Command(Deno.execPath(), { args: ["run", <deno flags>, script, ...] })` (how tests
 * start the CLI or a script of testdata/) becomes `bun run script ...`: Deno's flags are dropped,
 * and a script other than the CLI gets this shim preloaded, as it uses Deno's APIs itself.
 */
import { Buffer } from "node:buffer";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import { connect as netConnect } from "node:net";
import { hostname, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";
import { Readable, Writable } from "node:stream";

class NotFound extends Error {}
class AlreadyExists extends Error {}
class PermissionDenied extends Error {}
class NotCapable extends Error {}

/** A node error as the Deno error class of its code (the code is kept on it). */
const denoError = (e: unknown): unknown => {
  const code = (e as { code?: string })?.code;
  const Class = code === "ENOENT"
    ? NotFound
    : code === "EEXIST"
    ? AlreadyExists
    : code === "EACCES" || code === "EPERM"
    ? PermissionDenied
    : undefined;
  if (Class === undefined) return e;
  return Object.assign(new Class((e as Error).message), { code });
};
const wrap = <A extends unknown[], R>(f: (...a: A) => R) => (...a: A): R => {
  try {
    const r = f(...a);
    return (r instanceof Promise ? r.catch((e) => Promise.reject(denoError(e))) : r) as R;
  } catch (e) {
    throw denoError(e);
  }
};

const fileInfo = (s: fs.Stats) => ({
  isFile: s.isFile(),
  isDirectory: s.isDirectory(),
  isSymlink: s.isSymbolicLink(),
  size: s.size,
  mtime: s.mtime,
  atime: s.atime,
  birthtime: s.birthtime,
  mode: s.mode,
  uid: s.uid,
  gid: s.gid,
  ino: s.ino,
  dev: s.dev,
  nlink: s.nlink,
});
const dirEntry = (d: fs.Dirent) => ({
  name: d.name,
  isFile: d.isFile(),
  isDirectory: d.isDirectory(),
  isSymlink: d.isSymbolicLink(),
});

type Path = string | URL;
type WriteOptions = { append?: boolean; create?: boolean; mode?: number };
const flag = (o?: WriteOptions) => (o?.append ? "a" : o?.create === false ? "r+" : "w");

const removeSync = (path: Path, o?: { recursive?: boolean }) => {
  if (o?.recursive) return fs.rmSync(path, { recursive: true });
  if (fs.lstatSync(path).isDirectory()) fs.rmdirSync(path);
  else fs.unlinkSync(path);
};

const thisFile = new URL(import.meta.url).pathname;
const cliMain = resolve(thisFile, "../../../src/cli/main.ts");

/** Deno's `run` arguments as Bun's: flags dropped, this shim preloaded into scripts. */
const bunRunArgs = (args: readonly string[]): string[] => {
  let i = 1;
  while (i < args.length && args[i]!.startsWith("-")) i += args[i] === "--config" ? 2 : 1;
  const script = args[i];
  if (script === undefined) return [...args];
  const preload = resolve(script) === cliMain ? [] : ["--preload", thisFile];
  return ["run", ...preload, script, ...args.slice(i + 1)];
};

type Stdio = "piped" | "inherit" | "null";
interface CommandOptions {
  args?: string[];
  cwd?: string | URL;
  env?: Record<string, string>;
  clearEnv?: boolean;
  stdin?: Stdio;
  stdout?: Stdio;
  stderr?: Stdio;
}
const nodeStdio = (s: Stdio | undefined, fallback: Stdio) => {
  const v = s ?? fallback;
  return v === "piped" ? "pipe" : v === "null" ? "ignore" : "inherit";
};
const signalNumber: Record<string, number> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
const status = (code: number | null, signal: NodeJS.Signals | null) => ({
  success: code === 0,
  code: code ?? 128 + (signal ? signalNumber[signal] ?? 0 : 0),
  signal,
});

class Command {
  readonly #program: string;
  readonly #args: string[];
  readonly #options: CommandOptions;
  constructor(program: string | URL, options: CommandOptions = {}) {
    const args = options.args ?? [];
    const runsBun = String(program) === process.execPath && args[0] === "run";
    this.#program = String(program);
    this.#args = runsBun ? bunRunArgs(args) : args;
    this.#options = options;
  }
  #spawnOptions(defaults: Stdio) {
    const o = this.#options;
    return {
      ...(o.cwd ? { cwd: String(o.cwd) } : {}),
      env: o.clearEnv ? { ...o.env } : { ...process.env, ...o.env },
      stdio: [
        nodeStdio(o.stdin, defaults === "piped" ? "null" : "inherit"),
        nodeStdio(o.stdout, defaults),
        nodeStdio(o.stderr, defaults),
      ] as ("pipe" | "ignore" | "inherit")[],
    };
  }
  output() {
    return this.spawn("piped").output();
  }
  outputSync() {
    const r = spawnSync(this.#program, this.#args, this.#spawnOptions("piped"));
    if (r.error) throw denoError(r.error);
    return {
      ...status(r.status, r.signal),
      stdout: new Uint8Array(r.stdout ?? []),
      stderr: new Uint8Array(r.stderr ?? []),
    };
  }
  spawn(defaults: Stdio = "inherit") {
    const child = spawn(this.#program, this.#args, this.#spawnOptions(defaults));
    const started = new Promise<void>((ok, fail) => {
      child.once("spawn", ok);
      child.once("error", (e) => fail(denoError(e)));
    });
    const exited = new Promise<ReturnType<typeof status>>((ok) =>
      child.once("close", (code, signal) => ok(status(code, signal)))
    );
    const web = (r: Readable | null) =>
      r ? Readable.toWeb(r) as unknown as ReadableStream<Uint8Array> : undefined;
    const stdout = web(child.stdout), stderr = web(child.stderr);
    const collect = async (s: ReadableStream<Uint8Array> | undefined) =>
      s ? new Uint8Array(await new Response(s).arrayBuffer()) : new Uint8Array();
    return {
      pid: child.pid ?? -1,
      status: started.then(() => exited),
      stdout,
      stderr,
      stdin: child.stdin ? Writable.toWeb(child.stdin) : undefined,
      kill: (signal: NodeJS.Signals = "SIGTERM") => void child.kill(signal),
      ref: () => void child.ref(),
      unref: () => void child.unref(),
      output: async () => {
        const [out, err] = await Promise.all([collect(stdout), collect(stderr)]);
        return { ...(await started.then(() => exited)), stdout: out, stderr: err };
      },
    };
  }
}

/** A TCP connection with Deno.Conn's `write`, `read` (null at the end) and `close`. */
const connect = async (o: { hostname?: string; port: number }) => {
  const socket = netConnect(o.port, o.hostname ?? "127.0.0.1");
  await new Promise<void>((ok, fail) => socket.once("connect", ok).once("error", fail));
  const chunks: Buffer[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  socket.on("data", (b: Buffer) => (chunks.push(b), wake?.()));
  socket.on("end", () => ((ended = true), wake?.()));
  socket.on("close", () => ((ended = true), wake?.()));
  return {
    write: (bytes: Uint8Array) =>
      new Promise<number>((ok, fail) => socket.write(bytes, (e) => e ? fail(e) : ok(bytes.length))),
    read: async (buf: Uint8Array): Promise<number | null> => {
      while (chunks.length === 0 && !ended) await new Promise<void>((r) => (wake = r));
      const head = chunks.shift();
      if (head === undefined) return null;
      const n = Math.min(buf.length, head.length);
      buf.set(head.subarray(0, n));
      if (n < head.length) chunks.unshift(head.subarray(n));
      return n;
    },
    close: () => void socket.destroy(),
  };
};

const ARCH: Record<string, string> = { x64: "x86_64", arm64: "aarch64" };

export const denoShim = {
  errors: { NotFound, AlreadyExists, PermissionDenied, NotCapable },
  args: process.argv.slice(2),
  pid: process.pid,
  build: { os: process.platform, arch: ARCH[process.arch] ?? process.arch },
  version: { deno: "", v8: "", typescript: "" },
  env: {
    get: (k: string) => process.env[k],
    set: (k: string, v: string) => void (process.env[k] = v),
    delete: (k: string) => void delete process.env[k],
    has: (k: string) => k in process.env,
    toObject: () => ({ ...process.env }) as Record<string, string>,
  },
  execPath: () => process.execPath,
  cwd: () => process.cwd(),
  hostname: () => hostname(),
  uid: () => process.getuid?.() ?? null,
  exit: (code?: number) => process.exit(code),
  kill: (pid: number, signal: NodeJS.Signals = "SIGTERM") => void process.kill(pid, signal),
  stdout: { writeSync: (b: Uint8Array) => (fs.writeSync(1, b), b.length) },
  stderr: { writeSync: (b: Uint8Array) => (fs.writeSync(2, b), b.length) },
  Command,
  connect,
  makeTempDir: wrap((o: { prefix?: string; dir?: string } = {}) =>
    fsp.mkdtemp(join(o.dir ?? tmpdir(), o.prefix ?? ""))
  ),
  makeTempFile: wrap(async (o: { prefix?: string; dir?: string; suffix?: string } = {}) => {
    const dir = await fsp.mkdtemp(join(o.dir ?? tmpdir(), o.prefix ?? "tmp"));
    const path = join(dir, `file${o.suffix ?? ""}`);
    await fsp.writeFile(path, "");
    return path;
  }),
  mkdir: wrap((p: Path, o?: { recursive?: boolean; mode?: number }) =>
    fsp.mkdir(p, o).then(() => undefined)
  ),
  mkdirSync: wrap((p: Path, o?: { recursive?: boolean }) => void fs.mkdirSync(p, o)),
  remove: wrap((p: Path, o?: { recursive?: boolean }) =>
    new Promise<void>((done) => done(removeSync(p, o)))
  ),
  removeSync: wrap(removeSync),
  rename: wrap((a: Path, b: Path) => fsp.rename(a, b)),
  renameSync: wrap((a: Path, b: Path) => fs.renameSync(a, b)),
  copyFile: wrap((a: Path, b: Path) => fsp.copyFile(a, b)),
  symlink: wrap((target: Path, path: Path) => fsp.symlink(target, path)),
  readLink: wrap((p: Path) => fsp.readlink(p)),
  realPath: wrap((p: Path) => fsp.realpath(p)),
  truncate: wrap((p: string, len?: number) => fsp.truncate(p, len)),
  utime: wrap((p: Path, atime: number | Date, mtime: number | Date) => fsp.utimes(p, atime, mtime)),
  stat: wrap(async (p: Path) => fileInfo(await fsp.stat(p))),
  statSync: wrap((p: Path) => fileInfo(fs.statSync(p))),
  lstat: wrap(async (p: Path) => fileInfo(await fsp.lstat(p))),
  lstatSync: wrap((p: Path) => fileInfo(fs.lstatSync(p))),
  readDir: (p: Path) => ({
    async *[Symbol.asyncIterator]() {
      let entries: fs.Dirent[];
      try {
        entries = await fsp.readdir(p, { withFileTypes: true });
      } catch (e) {
        throw denoError(e);
      }
      for (const d of entries) yield dirEntry(d);
    },
  }),
  readDirSync: wrap((p: Path) => fs.readdirSync(p, { withFileTypes: true }).map(dirEntry)),
  readFile: wrap(async (p: Path) => new Uint8Array(await fsp.readFile(p))),
  readFileSync: wrap((p: Path) => new Uint8Array(fs.readFileSync(p))),
  readTextFile: wrap((p: Path) => fsp.readFile(p, "utf8")),
  readTextFileSync: wrap((p: Path) => fs.readFileSync(p, "utf8")),
  writeFile: wrap((p: Path, data: Uint8Array, o?: WriteOptions) =>
    fsp.writeFile(p, data, { flag: flag(o), ...(o?.mode ? { mode: o.mode } : {}) })
  ),
  writeFileSync: wrap((p: Path, data: Uint8Array, o?: WriteOptions) =>
    fs.writeFileSync(p, data, { flag: flag(o), ...(o?.mode ? { mode: o.mode } : {}) })
  ),
  writeTextFile: wrap((p: Path, data: string, o?: WriteOptions) =>
    fsp.writeFile(p, data, { flag: flag(o), ...(o?.mode ? { mode: o.mode } : {}) })
  ),
  writeTextFileSync: wrap((p: Path, data: string, o?: WriteOptions) =>
    fs.writeFileSync(p, data, { flag: flag(o), ...(o?.mode ? { mode: o.mode } : {}) })
  ),
};

const g = globalThis as unknown as { Deno?: Record<string, unknown> };
g.Deno = Object.assign(g.Deno ?? {}, denoShim);
