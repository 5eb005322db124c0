/**
 * Bad command-line input exits 2 with a message naming the flag and touches nothing; every
 * example command of `--help` and of README.md plans.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, projectRoot, tempEnv, text, toyExperiment } from "./helpers.ts";
import { planExperiment } from "../../src/core/plan.ts";
import { loadExperimentModule } from "../../src/core/experiment.ts";
import { formatPlan } from "../../src/cli/inspect.ts";
import { runtimeName } from "../../src/platform/runtime.ts";

const run = async (args: string[], env: Record<string, string> = {}) => {
  const out = await cli(args, env).output();
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
};

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

Deno.test("diffrun run rejects --jobs 0 and --jobs -3 with exit 2, naming the flag", async () => {
  const env = await tempEnv();
  for (const jobs of ["0", "-3"]) {
    const r = await run(["run", toyExperiment, "--store", env.store, "--jobs", jobs]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`--jobs: "${jobs}"\\. Expected: a whole number of at least 1`),
    );
    assert.equal(await exists(env.store), false, "store not created");
  }
});

Deno.test("diffrun run with a --store that is a file exits 2 naming --store, touching nothing", async () => {
  const env = await tempEnv();
  const file = join(env.dir, "not-a-dir");
  await Deno.writeTextFile(file, "x");
  const r = await run(["run", toyExperiment, "--store", file, "--results", env.results]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--store .*not-a-dir: it exists and is not a directory/);
  assert.equal(await Deno.readTextFile(file), "x");
  assert.equal(await exists(env.results), false, "no results directory");
});

Deno.test({
  name:
    "diffrun run with a --store outside Deno's permissions says so, naming --store and deno.json",
  // Bun has no permission sandbox
  ignore: runtimeName() !== "deno",
  fn: async () => {
    const env = await tempEnv();
    const r = await run(["run", toyExperiment, "--store", "/var/diffrun-no-such-store"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /--store \/var\/diffrun-no-such-store: cannot .*outside Deno's read\/write/,
    );
    assert.match(r.stderr, /deno\.json/);
    assert.doesNotMatch(r.stderr, /does not exist/);
    assert.equal(await exists(env.results), false, "no results directory");
  },
});

Deno.test("diffrun run with a --results under a file exits 2 naming --results, store untouched", async () => {
  const env = await tempEnv();
  const file = join(env.dir, "not-a-dir");
  await Deno.writeTextFile(file, "x");
  const r = await run(["run", toyExperiment, "--store", env.store, "--results", join(file, "r")]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /--results .*not-a-dir\/r: cannot create it: .*not-a-dir is not a directory/,
  );
  assert.equal(await exists(env.store), false, "store not created");
  const plan = await run(["plan", toyExperiment, "--store", join(file, "s")]);
  assert.equal(plan.code, 2, plan.stderr);
  assert.match(plan.stderr, /--store .*not-a-dir\/s: cannot create it/);
});

Deno.test("diffrun run with --max-arms below the sweep's arms exits 2 with the count and the limit", async () => {
  const env = await tempEnv();
  const r = await run(["run", toyExperiment, "--store", env.store, "--max-arms", "2"]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /the sweep has 3 arms .*above the limit of 2/);
  assert.equal(await exists(env.store), false, "store not created");
});

Deno.test("diffrun plan rejects -p inside a swept axis of a shipped experiment, naming both", async () => {
  const env = await tempEnv();
  const r = await run([
    "plan",
    "experiments/min-snr.ts",
    "--profile",
    "smoke",
    "--store",
    env.store,
    "-p",
    "weighting.gamma=10",
  ]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /field "weighting\.gamma"\): -p weighting\.gamma=10 sets a field inside "weighting"/,
  );
  assert.match(r.stderr, /-p 'weighting=\[\{"strategy":"min-snr","gamma":10\}\]'/);
});

Deno.test("formatPlan() text lists the params that differ between arms, or every param of one arm", async () => {
  const exp = await loadExperimentModule(toyExperiment);
  const plan = (overrides: string[]) =>
    planExperiment(exp, { file: "toy.ts", root: projectRoot, overrides });
  const swept = formatPlan(plan(["n=6"]), new Set(), "text");
  assert.match(
    swept,
    /arms \(params that differ between arms\):\n {4}factor=1: factor=1\n {4}factor=2: factor=2\n/,
  );
  const one = formatPlan(plan(["factor=5", "n=6"]), new Set(), "text");
  assert.match(
    one,
    /\n {2}arm default: n=6 factor=5 sleepMs=0 steps=1 failFactor=null mode=plain\n/,
  );
});

// -- example commands --------------------------------------------------------------------------

/** Splits a shell command line into words (single and double quotes, backslash escapes). */
const shellWords = (line: string): string[] => {
  const words: string[] = [];
  let word: string | null = null;
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === "\\" && quote === '"' && i + 1 < line.length) word += line[++i]!;
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= "";
    } else if (c === "\\" && i + 1 < line.length) word = (word ?? "") + line[++i]!;
    else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === "#" && word === null) break; // a comment
    else word = (word ?? "") + c;
  }
  if (word !== null) words.push(word);
  return words;
};

interface Example {
  readonly line: string;
  readonly env: Record<string, string>;
  readonly args: string[];
}

/** deno.json tasks that run the CLI -> the arguments they put before the user's (`diffrun`: none). */
const cliTasks: Record<string, string[]> = (() => {
  const tasks: Record<string, string> =
    JSON.parse(Deno.readTextFileSync(join(projectRoot, "deno.json"))).tasks;
  const out: Record<string, string[]> = {};
  for (const [name, command] of Object.entries(tasks)) {
    const words = command.split(/\s+/);
    const main = words.indexOf("src/cli/main.ts");
    if (main >= 0) out[name] = words.slice(main + 1);
  }
  return out;
})();

/**
 * `[VAR=x …] [npx -y deno@v | deno] task <cli task> …` or `diffrun …` -> its environment and the
 * CLI's arguments; null for anything else (other tasks, `$ ` transcripts, output lines).
 */
const parseCommand = (line: string): Example | null => {
  const words = shellWords(line);
  const env: Record<string, string> = {};
  while (words.length > 0 && /^[A-Z_][A-Z0-9_]*=/.test(words[0]!)) {
    const [name, ...value] = words.shift()!.split("=");
    env[name!] = value.join("=");
  }
  if (words[0] === "npx") {
    words.shift();
    while (words[0]?.startsWith("-")) words.shift();
  }
  if (/^deno(@[\d.]+)?$/.test(words[0] ?? "") && words[1] === "task") {
    const task = cliTasks[words[2] ?? ""];
    return task === undefined ? null : { line, env, args: [...task, ...words.slice(3)] };
  }
  if (words[0] !== "diffrun") return null;
  return { line, env, args: words.slice(1) };
};

/** README.md and every page under docs/. */
const documentationPages = async (): Promise<string[]> => {
  const pages = [join(projectRoot, "README.md")];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory) await walk(join(dir, e.name));
      else if (e.name.endsWith(".md")) pages.push(join(dir, e.name));
    }
  };
  await walk(join(projectRoot, "docs"));
  return pages;
};

/** Flags of `run` that `plan` does not take, with whether each takes a value. */
const runOnlyFlags: Record<string, boolean> = {
  "--jobs": true,
  "-j": true,
  "--keep-going": false,
  "--results": true,
  "--retries": true,
};

/** A `run` or `plan` command as a `plan` against a scratch store (null for other verbs). */
const asPlan = (args: readonly string[], store: string): string[] | null => {
  if (args[0] !== "run" && args[0] !== "plan") return null;
  const out = ["plan"];
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    const [name] = a.split("=");
    if (name === "--store") {
      if (!a.includes("=")) i++;
    } else if (name! in runOnlyFlags) {
      if (runOnlyFlags[name!] && !a.includes("=")) i++;
    } else out.push(a);
  }
  return [...out, "--store", store];
};

/** Plans every example, a few at a time; returns the ones that failed with their stderr. */
const planAll = async (examples: readonly Example[]) => {
  const env = await tempEnv();
  const failures: string[] = [];
  const queue = [...examples];
  const worker = async () => {
    for (let ex = queue.shift(); ex !== undefined; ex = queue.shift()) {
      const args = asPlan(ex.args, env.store)!;
      const r = await run(args, ex.env);
      if (r.code !== 0) failures.push(`${ex.line}\n    exit ${r.code}: ${r.stderr.trim()}`);
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  return failures;
};

/**
 * A command that needs a path on this machine (the user's own data) cannot plan here, nor one
 * of the webgpu backend on Bun (no navigator.gpu; docs/bun.md#what-differs-on-bun).
 */
const missingData = async (ex: Example): Promise<string | null> => {
  if (runtimeName() === "bun" && ex.line.includes("--backend webgpu")) return "Deno's WebGPU";
  for (const [name, value] of Object.entries(ex.env)) {
    if (name !== "DIFFRUN_STORE" && value.startsWith("/") && !(await exists(value))) {
      return `${name}=${value}`;
    }
  }
  return null;
};

Deno.test("diffrun --help: every example command plans", async () => {
  const examples: Example[] = [];
  for (const verb of ["run", "plan"]) {
    const help = await run([verb, "--help"]);
    const section = help.stdout.split("\nEXAMPLES\n")[1]?.split(/\n[A-Z][A-Z ]+\n/)[0] ?? "";
    for (const line of section.split("\n").map((l) => l.trim())) {
      const ex = line.startsWith("diffrun ") ? parseCommand(line) : null;
      if (ex) examples.push(ex);
    }
  }
  assert.ok(examples.length >= 4, `examples found: ${examples.length}`);
  assert.ok(examples.some((e) => e.args.includes("-p")), "an example shows -p");
  const failures = await planAll(examples);
  assert.deepEqual(failures, [], `--help examples that do not plan:\n${failures.join("\n")}`);
});

Deno.test("README.md and docs/: every diffrun run/plan command in a code block plans", async () => {
  const examples: Example[] = [];
  for (const page of await documentationPages()) {
    const markdown = await Deno.readTextFile(page);
    for (const block of [...markdown.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)].map((m) => m[1]!)) {
      // a backslash at the end of a line continues the command
      for (const line of block.replace(/\\\n\s*/g, " ").split("\n")) {
        const ex = parseCommand(line.trim());
        if (ex && asPlan(ex.args, "") !== null) examples.push(ex);
      }
    }
  }
  assert.ok(examples.length > 0, "README.md and docs/ show no diffrun run/plan command");
  const runnable: Example[] = [];
  for (const ex of examples) {
    const missing = await missingData(ex);
    if (missing === null) runnable.push(ex);
    else console.log(`skipped (needs ${missing} on this machine): ${ex.line}`);
  }
  const failures = await planAll(runnable);
  assert.deepEqual(failures, [], `documented commands that do not plan:\n${failures.join("\n")}`);
});
