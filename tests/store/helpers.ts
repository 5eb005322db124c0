/** Shared test helpers for the store: keys, a sample `WriteInfo`, and runners that capture logs. */
import { createHash } from "node:crypto";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import * as Logger from "effect/Logger";
import { Store, type WriteInfo } from "../../src/store/Store.ts";

/** A deterministic store key for a label. */
export const keyOf = (label: string): string => createHash("sha256").update(label).digest("hex");

export const info = (stage = "train"): WriteInfo => ({
  stage,
  version: "1",
  components: { params: { lr: 0.001, steps: 10 }, seed: 7 },
  inputs: { data: keyOf("upstream") },
  codec: "json",
});

/** Writes `files` (relative path → text) under `dir`. */
export const writeFiles = (dir: string, files: Record<string, string>) =>
  Effect.promise(async () => {
    for (const [rel, text] of Object.entries(files)) {
      const path = `${dir}/${rel}`;
      await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
      await Deno.writeTextFile(path, text);
    }
  });

export interface Logs {
  readonly lines: string[];
}

const capture = (logs: Logs) =>
  Logger.layer([
    Logger.make((o) => {
      const parts = Array.isArray(o.message) ? o.message : [o.message];
      logs.lines.push(`${o.logLevel}: ${parts.map(String).join(" ")}`);
    }),
  ]);

/** Runs `effect` against a fresh temporary store (removed afterwards); logs are captured. */
export const runTest = <A, E>(
  effect: Effect.Effect<A, E, Store>,
  logs: Logs = { lines: [] },
): Promise<A> =>
  Effect.runPromise(effect.pipe(Effect.provide(Layer.merge(Store.layerTest, capture(logs)))));

/** Runs `effect` against the store at `root`; logs are captured. */
export const runAt = <A, E>(
  root: string,
  effect: Effect.Effect<A, E, Store>,
  logs: Logs = { lines: [] },
): Promise<A> =>
  Effect.runPromise(effect.pipe(Effect.provide(Layer.merge(Store.layer(root), capture(logs)))));

/** Files under `dir` (relative paths, sorted); a missing dir has none. */
export const listTree = async (dir: string): Promise<string[]> => {
  const out: string[] = [];
  const walk = async (abs: string, rel: string) => {
    for await (const e of Deno.readDir(abs)) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      out.push(r);
      if (e.isDirectory) await walk(`${abs}/${e.name}`, r);
    }
  };
  try {
    await walk(dir, "");
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out.sort();
};

/** The `deno` command line that runs a script of `testdata/` with this project's config. */
export const denoScript = (script: string, args: string[]): Deno.Command =>
  new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      new URL("../../deno.json", import.meta.url).pathname,
      new URL(`./testdata/${script}`, import.meta.url).pathname,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  });

export interface Worker {
  readonly child: Deno.ChildProcess;
  /** Resolves once the child has printed `marker` on stdout. */
  waitFor(marker: string, timeoutMs?: number): Promise<void>;
  /** Waits for the child to exit; returns its status and output. */
  finish(): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** Spawns a `testdata/` script and follows its stdout. */
export const spawnWorker = (script: string, args: string[]): Worker => {
  const child = denoScript(script, args).spawn();
  let stdout = "";
  const reading = (async () => {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) stdout += chunk;
  })();
  const stderr = new Response(child.stderr).text();
  return {
    child,
    waitFor: async (marker, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!stdout.includes(marker)) {
        if (Date.now() > deadline) {
          throw new Error(`${script} did not print "${marker}" (stdout: ${stdout})`);
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    finish: async () => {
      const status = await child.status;
      await reading;
      return { code: status.code, stdout, stderr: await stderr };
    },
  };
};

/** Waits until the lock file of `key` exists (a forked holder has acquired it). */
export const awaitLockFile = (root: string, key: string) =>
  Effect.promise(async () => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await Deno.stat(`${root}/locks/${key}.lock`);
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`the lock of ${key} was never taken`);
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  });
