/** Shared helpers for the runner tests: a temp project, programmatic runs, a counter file. */
import * as Effect from "effect/Effect";
import { join, resolve } from "node:path";
import assert from "node:assert/strict";
import { loadAndPlan, runPlanned } from "../../src/core/runner.ts";
import { planExperiment } from "../../src/core/plan.ts";
import { PlanError } from "../../src/core/errors.ts";
import { Store } from "../../src/store/Store.ts";
import { htmlRunReport } from "../../src/report/runReport.ts";

export const projectRoot = resolve(new URL("../..", import.meta.url).pathname);
export const toyExperiment = resolve(projectRoot, "tests/core/testdata/toy_experiment.ts");

export interface TempEnv extends AsyncDisposable {
  readonly dir: string;
  readonly store: string;
  readonly results: string;
  readonly counter: string;
  counts(): Record<string, number>;
}

/**
 * A temporary store, results folder and stage counter; `await using env = await tempEnv()`
 * removes them (and the counter variable) when the test ends.
 */
export const tempEnv = async (): Promise<TempEnv> => {
  const dir = await Deno.makeTempDir({ prefix: "diffrun-test-" });
  const counter = join(dir, "counter.txt");
  Deno.env.set("DIFFRUN_TEST_COUNTER", counter);
  return {
    [Symbol.asyncDispose]: async () => {
      if (Deno.env.get("DIFFRUN_TEST_COUNTER") === counter) Deno.env.delete("DIFFRUN_TEST_COUNTER");
      await Deno.remove(dir, { recursive: true }).catch(() => undefined);
    },
    dir,
    store: join(dir, "store"),
    results: join(dir, "results"),
    counter,
    counts: () => {
      let text = "";
      try {
        text = Deno.readTextFileSync(counter);
      } catch {
        // nothing ran yet
      }
      const c: Record<string, number> = {};
      for (const line of text.split("\n").filter(Boolean)) c[line] = (c[line] ?? 0) + 1;
      return c;
    },
  };
};

export const runToy = (
  env: TempEnv,
  options: {
    profile?: string;
    overrides?: string[];
    jobs?: number;
    keepGoing?: boolean;
    file?: string;
  } = {},
) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const file = options.file ?? toyExperiment;
      const plan = yield* Effect.promise(() =>
        loadAndPlan({
          experimentFile: file,
          profile: options.profile,
          overrides: options.overrides ?? [],
          projectRoot,
        })
      );
      const store = yield* Store;
      return yield* runPlanned(plan, {
        experimentFile: file,
        profile: options.profile,
        overrides: options.overrides ?? [],
        jobs: options.jobs ?? 2,
        cores: 2,
        keepGoing: options.keepGoing ?? false,
        projectRoot,
        resultsRoot: env.results,
        argv: [],
        write: () => {},
        tty: false,
        report: htmlRunReport,
      }, store);
    }).pipe(Effect.provide(Store.layer(env.store))),
  );

/** The permission flags of `deno task diffrun` (deno.json), so tests run the CLI as users do. */
export const diffrunPermissions: string[] = (() => {
  const task: string =
    JSON.parse(Deno.readTextFileSync(resolve(projectRoot, "deno.json"))).tasks.diffrun;
  return task.split(/\s+/).filter((a) => a.startsWith("--allow-"));
})();

/** The CLI as a subprocess with the task's permissions (`.output()` it, or `.spawn()` it). */
export const cli = (
  args: string[],
  env: Record<string, string> = {},
  stdio: { stdout?: "piped" | "null"; stderr?: "piped" | "null" } = {},
) =>
  new Deno.Command(Deno.execPath(), {
    args: ["run", ...diffrunPermissions, resolve(projectRoot, "src/cli/main.ts"), ...args],
    cwd: projectRoot,
    env,
    stdout: stdio.stdout ?? "piped",
    stderr: stdio.stderr ?? "piped",
  });

export const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Plans `exp` as the CLI would from the project root (file name "exp.ts"). */
export const plan = (
  exp: Parameters<typeof planExperiment>[0],
  extra: { profile?: string; overrides?: string[]; maxArms?: number } = {},
) => planExperiment(exp, { file: "exp.ts", root: projectRoot, ...extra });

/** The issues of the PlanError that `f` throws; fails the test when it throws none. */
export const planIssues = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof PlanError, `expected PlanError, got ${e}`);
    return e.issues;
  }
  assert.fail("expected the plan to fail");
};
