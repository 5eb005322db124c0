/**
 * Shared helpers of the reliability suite: in-process runs with captured logs, CLI runs with the
 * permissions users have, checksums of a run folder's artifacts, and store inspection.
 */
import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import * as Logger from "effect/Logger";
import { loadAndPlan, runPlanned } from "../../src/core/runner.ts";
import { Store } from "../../src/store/Store.ts";
import { cli, projectRoot, type TempEnv, text } from "../core/helpers.ts";

export const artifactsExperiment = resolve(
  projectRoot,
  "tests/reliability/testdata/artifacts_experiment.ts",
);

/** Runs an experiment in this process against `env`'s store; returns the outcome and the logs. */
export const runCaptured = async (env: TempEnv, file: string) => {
  const lines: string[] = [];
  const logger = Logger.layer([
    Logger.make((o) => {
      const parts = Array.isArray(o.message) ? o.message : [o.message];
      lines.push(`${o.logLevel}: ${parts.map(String).join(" ")}`);
    }),
  ]);
  const outcome = await Effect.runPromise(
    Effect.gen(function* () {
      const plan = yield* Effect.promise(() =>
        loadAndPlan({ experimentFile: file, overrides: [], projectRoot })
      );
      const store = yield* Store;
      return yield* runPlanned(plan, {
        experimentFile: file,
        overrides: [],
        jobs: 2,
        cores: 2,
        keepGoing: false,
        projectRoot,
        resultsRoot: env.results,
        argv: [],
        write: () => {},
        tty: false,
      }, store);
    }).pipe(Effect.provide(Layer.merge(Store.layer(env.store), logger))),
  );
  return { ...outcome, logs: lines };
};

/** `diffrun run <file>` in a subprocess on `env`'s store, with extra environment variables. */
export const cliRun = async (
  env: TempEnv,
  file: string,
  extraEnv: Record<string, string> = {},
  args: string[] = [],
) => {
  const out = await cli(
    ["run", file, "--store", env.store, "--results", env.results, ...args],
    { DIFFRUN_TEST_COUNTER: env.counter, ...extraEnv },
  ).output();
  return { code: out.code, signal: out.signal, stdout: text(out.stdout), stderr: text(out.stderr) };
};

export const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Relative path → sha256 of every file under `dir` (recursively). */
export const treeChecksums = (dir: string): Record<string, string> => {
  const out: Record<string, string> = {};
  const walk = (abs: string, rel: string) => {
    for (const e of Deno.readDirSync(abs)) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) walk(join(abs, e.name), r);
      else out[r] = sha256(Deno.readFileSync(join(abs, e.name)));
    }
  };
  walk(dir, "");
  return out;
};

/** The artifact folder of the stage named `stage` in `store` (exactly one entry expected). */
export const entryOf = (store: string, stage: string): { key: string; artifact: string } => {
  const found: { key: string; artifact: string }[] = [];
  const entries = join(store, "entries");
  for (const shard of Deno.readDirSync(entries)) {
    for (const e of Deno.readDirSync(join(entries, shard.name))) {
      const dir = join(entries, shard.name, e.name);
      const meta = JSON.parse(Deno.readTextFileSync(join(dir, "meta.json")));
      if (meta.stage === stage) found.push({ key: e.name, artifact: join(dir, "artifact") });
    }
  }
  if (found.length !== 1) throw new Error(`expected one entry of ${stage}, found ${found.length}`);
  return found[0]!;
};

/** Names in a store sub-folder (`tmp`, `locks`…); none when it does not exist. */
export const namesIn = (store: string, sub: string): string[] => {
  try {
    return [...Deno.readDirSync(join(store, sub))].map((e) => e.name).sort();
  } catch {
    return [];
  }
};
