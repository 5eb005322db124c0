/** Running a study's smoke profile through the CLI, as the pipeline tests all do. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, type TempEnv, text } from "../core/helpers.ts";
import { type Manifest, readManifest } from "../../src/core/runDir.ts";

export interface SmokeRun {
  /** The run's arguments (`run <experiment> --profile smoke --store … --results …`). */
  readonly args: readonly string[];
  /** The first run's directory and manifest. */
  readonly dir: string;
  readonly manifest: Manifest;
  readonly stdout: string;
  /** Runs again with extra arguments (e.g. `-p` overrides); asserts success, returns stdout. */
  again(extra?: readonly string[]): Promise<string>;
  /** Every run directory of the experiment, oldest first. */
  runs(): string[];
}

const succeed = async (args: readonly string[], vars: Record<string, string> = {}) => {
  const out = await cli([...args], vars).output();
  assert.equal(out.code, 0, `${args.join(" ")}:\n${text(out.stderr)}${text(out.stdout)}`);
  return text(out.stdout);
};

/**
 * Runs `experiments/<name>.ts --profile smoke` in `env`, asserting that it succeeds; `vars` are
 * environment variables of that first run and of `again()`.
 */
export const runSmoke = async (
  env: TempEnv,
  name: string,
  extra: readonly string[] = [],
  vars: Record<string, string> = {},
): Promise<SmokeRun> => {
  const args = [
    "run",
    `experiments/${name}.ts`,
    "--profile",
    "smoke",
    "--store",
    env.store,
    "--results",
    env.results,
  ];
  const stdout = await succeed([...args, ...extra], vars);
  const runs = () =>
    [...Deno.readDirSync(join(env.results, name))].map((d) => join(env.results, name, d.name))
      .sort();
  const dir = runs()[0]!;
  return {
    args,
    dir,
    manifest: await readManifest(dir),
    stdout,
    again: (more = []) => succeed([...args, ...more], vars),
    runs,
  };
};
