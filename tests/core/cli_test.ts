import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, tempEnv, text, toyExperiment } from "./helpers.ts";
import { readManifest } from "../../src/core/runDir.ts";

/** The toy experiment's slow profile (a 20-step stage that checkpoints every step). */
const slowRun = (env: { store: string; results: string }) => [
  "run",
  toyExperiment,
  "--profile",
  "slow",
  "--store",
  env.store,
  "--results",
  env.results,
];

/** Waits until a stage of the store has checkpointed and at least `minMs` have passed. */
const checkpointed = async (store: string, minMs: number) => {
  const started = Date.now();
  for (let i = 0; i < 200; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const cps = await Array.fromAsync(Deno.readDir(join(store, "checkpoints"))).catch(() => []);
    if (cps.length > 0 && Date.now() - started >= minMs) return;
  }
};

/** Names of the stages with an entry in the store. */
const publishedStages = (store: string): string[] => {
  const names: string[] = [];
  const entries = join(store, "entries");
  for (const shard of Deno.readDirSync(entries)) {
    for (const e of Deno.readDirSync(join(entries, shard.name))) {
      names.push(
        JSON.parse(Deno.readTextFileSync(join(entries, shard.name, e.name, "meta.json"))).stage,
      );
    }
  }
  return names;
};

const run = async (args: string[], env: Record<string, string> = {}) => {
  const out = await cli(args, env).output();
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
};

Deno.test("diffrun run with invalid params exits 2, names the field, and leaves the store untouched", async () => {
  await using env = await tempEnv();
  const r = await run([
    "run",
    toyExperiment,
    "--store",
    env.store,
    "--results",
    env.results,
    "-p",
    "factr=2",
    "-p",
    "n=abc",
  ]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /field "factr"\): unknown param "factr" \(did you mean "factor"\?\)/);
  assert.equal(await Deno.stat(env.store).catch(() => null), null, "store not created");
  assert.equal(await Deno.stat(env.results).catch(() => null), null, "no run directory");
});

Deno.test("diffrun run of a missing file exits 2 with the path", async () => {
  await using env = await tempEnv();
  const r = await run(["run", "experiments/does-not-exist.ts", "--store", env.store]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /does-not-exist\.ts: cannot import/);
});

Deno.test("diffrun plan shows misses, then hits after a run; explain names the changed param", async () => {
  await using env = await tempEnv();
  const common = ["--store", env.store, "--results", env.results];
  const storeOnly = ["--store", env.store];
  const before = await run(["plan", toyExperiment, ...storeOnly]);
  assert.equal(before.code, 0, before.stderr);
  assert.match(before.stdout, /8 stage\(s\), 0 hit, 8 to run/);
  assert.equal(
    (await run(["run", toyExperiment, ...common], { DIFFRUN_TEST_COUNTER: env.counter })).code,
    0,
  );
  const after = await run(["plan", toyExperiment, ...storeOnly]);
  assert.match(after.stdout, /0 to run/);
  const mermaid = await run(["plan", toyExperiment, ...storeOnly, "--format", "mermaid"]);
  assert.match(mermaid.stdout, /flowchart|graph/);
  assert.match(mermaid.stdout, /scale#91;factor=2#93; #40;hit#41;/);
  const explained = await run([
    "explain",
    toyExperiment,
    "scale[factor=2]",
    "--results",
    env.results,
    "-p",
    "n=5",
  ]);
  assert.equal(explained.code, 0, explained.stderr);
  assert.match(explained.stdout, /input "numbers" changed/);
  assert.match(explained.stdout, /params n: 4 → 5/);
});

Deno.test("diffrun ls, show, compare and rerun read run directories", async () => {
  await using env = await tempEnv();
  const common = ["--store", env.store, "--results", env.results];
  await run(["run", toyExperiment, ...common]);
  await run(["run", toyExperiment, ...common, "-p", "n=6"]);
  const dirs = [...Deno.readDirSync(join(env.results, "toy"))].map((d) =>
    join(env.results, "toy", d.name)
  ).sort();
  assert.equal(dirs.length, 2);
  const ls = await run(["ls", "--results", env.results]);
  assert.equal(ls.stdout.split("\n").filter((l) => l.startsWith("succeeded")).length, 2);
  const show = await run(["show", dirs[0]!]);
  assert.match(show.stdout, /experiment toy/);
  assert.match(show.stdout, /\| factor=1 \|/);
  const cmp = await run(["compare", dirs[0]!, dirs[1]!]);
  assert.match(cmp.stdout, /\*n\*/, "the differing param is marked");
  const rerun = await run(["rerun", dirs[1]!, ...common]);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.match(rerun.stdout, /every stage key matches the original run/);
  assert.match(rerun.stdout, /0 ran, 8 cached/);
});

Deno.test("two diffrun processes on one store compute each stage once", async () => {
  await using env = await tempEnv();
  const args = [
    "run",
    toyExperiment,
    "--store",
    env.store,
    "--results",
    env.results,
    "-p",
    "sleepMs=50",
    "-p",
    "steps=4",
  ];
  const [a, b] = await Promise.all([
    cli(args, { DIFFRUN_TEST_COUNTER: env.counter }).output(),
    cli(args, { DIFFRUN_TEST_COUNTER: env.counter }).output(),
  ]);
  assert.equal(a.code, 0, text(a.stderr));
  assert.equal(b.code, 0, text(b.stderr));
  const c = env.counts();
  for (const [what, n] of Object.entries(c)) {
    if (what !== "total") assert.equal(n, 1, `${what} ran ${n} times`);
  }
  assert.equal(c["total"], 3);
});

Deno.test("kill -9 in the middle of a stage leaves no entry; the re-run resumes and gets the right result", async () => {
  await using env = await tempEnv();
  const args = slowRun(env);
  const child = cli(args, { DIFFRUN_TEST_COUNTER: env.counter }).spawn();
  await checkpointed(env.store, 1000);
  child.kill("SIGKILL");
  await child.output().catch(() => undefined);
  assert.ok(!publishedStages(env.store).includes("scale"), "the killed stage published nothing");
  const again = await run(args, { DIFFRUN_TEST_COUNTER: env.counter });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /resumed from checkpoint/);
  const dirs = [...Deno.readDirSync(join(env.results, "toy"))].map((d) =>
    join(env.results, "toy", d.name)
  ).sort();
  const m = await readManifest(dirs.at(-1)!);
  assert.equal(m.status, "succeeded");
  await using fresh = await tempEnv();
  const clean = await run([
    "run",
    toyExperiment,
    "--profile",
    "slow",
    "-p",
    "sleepMs=0",
    "--store",
    fresh.store,
    "--results",
    fresh.results,
  ]);
  assert.equal(clean.code, 0);
  const summary = (dir: string) =>
    Deno.readTextFileSync(join(dir, "summary.md")).split("## Stages")[0];
  const cleanDir = [...Deno.readDirSync(join(fresh.results, "toy"))].map((d) =>
    join(fresh.results, "toy", d.name)
  )[0]!;
  assert.equal(summary(dirs.at(-1)!), summary(cleanDir));
});

Deno.test("diffrun gc removes entries no run directory references, and --dry-run removes nothing", async () => {
  await using env = await tempEnv();
  const common = ["--store", env.store, "--results", env.results];
  await run(["run", toyExperiment, ...common]);
  const first = [...Deno.readDirSync(join(env.results, "toy"))][0]!.name;
  await run(["run", toyExperiment, ...common, "-p", "n=7"]);
  await Deno.remove(join(env.results, "toy", first), { recursive: true });
  const dry = await run(["gc", "--dry-run", ...common]);
  // n=7 changes every stage but the aggregate report (same arms), which both runs share
  assert.match(dry.stdout, /would remove 7 entries/);
  const again = await run(["gc", "--dry-run", ...common]);
  assert.match(again.stdout, /would remove 7 entries/);
  const real = await run(["gc", ...common]);
  assert.match(real.stdout, /removed 7 entries/);
  const plan = await run(["plan", toyExperiment, "--store", env.store, "-p", "n=7"]);
  assert.match(plan.stdout, /0 to run/);
});

Deno.test("Ctrl-C (SIGINT) stops a run cleanly: exit 130, run marked interrupted, no entry, no lock, no staging left", async () => {
  await using env = await tempEnv();
  const child = cli(slowRun(env)).spawn();
  await checkpointed(env.store, 500);
  child.kill("SIGINT");
  const out = await child.output();
  assert.equal(out.code, 130, text(out.stderr));
  assert.match(text(out.stderr), /interrupted; cleaning up/);
  const runDir = join(env.results, "toy", [...Deno.readDirSync(join(env.results, "toy"))][0]!.name);
  assert.equal((await readManifest(runDir)).status, "interrupted");
  assert.deepEqual([...Deno.readDirSync(join(env.store, "locks"))], [], "the lock was released");
  assert.deepEqual(
    [...Deno.readDirSync(join(env.store, "tmp"))],
    [],
    "no staging or scratch directory left",
  );
  assert.ok(
    !publishedStages(env.store).includes("scale"),
    "the interrupted stage published nothing",
  );
});
