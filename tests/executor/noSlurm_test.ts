/**
 * Without Slurm (PATH without sbatch): the local executor is untouched, `--executor slurm`
 * fails before anything runs with a message saying sbatch was not found, and `plan --executor
 * slurm` still shows the jobs it would submit.
 */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { cli, projectRoot, tempEnv, text } from "../core/helpers.ts";
import { toFileUrl } from "../../src/core/paths.ts";

const experiment = resolve(projectRoot, "tests/slurm/testdata/slurm_experiment.ts");

/** A PATH with git (for the manifest) but no Slurm commands. */
const pathWithoutSlurm = async (dir: string) => {
  const bin = join(dir, "bin");
  await Deno.mkdir(bin);
  await Deno.symlink("/usr/bin/git", join(bin, "git")).catch(() => {});
  return bin;
};

const manifestKeys = async (results: string) => {
  const runs: string[] = [];
  for await (const e of Deno.readDir(join(results, "toy-slurm"))) runs.push(e.name);
  assert.equal(runs.length, 1);
  const dir = join(results, "toy-slurm", runs[0]!);
  const m = JSON.parse(await Deno.readTextFile(join(dir, "manifest.json")));
  return { dir, keys: (m.stages as { key: string }[]).map((s) => s.key).sort() };
};

Deno.test("run --executor slurm without sbatch fails with exit 2, naming sbatch; nothing runs", async () => {
  await using env = await tempEnv();
  const PATH = await pathWithoutSlurm(env.dir);
  const out = await cli(
    ["run", experiment, "--executor", "slurm", "--store", env.store, "--results", env.results],
    { PATH },
  ).output();
  const err = text(out.stderr);
  assert.equal(out.code, 2, err);
  assert.match(err, /--executor slurm: sbatch was not found on PATH/);
  assert.match(err, /--executor local/);
  assert.deepEqual(env.counts(), {});
  await assert.rejects(() => Deno.stat(env.results));
  await Deno.remove(env.dir, { recursive: true });
});

Deno.test("run --executor local without Slurm runs every stage here, with the default's keys", async () => {
  await using local = await tempEnv();
  const PATH = await pathWithoutSlurm(local.dir);
  const a = await cli(
    ["run", experiment, "--executor", "local", "--store", local.store, "--results", local.results],
    { PATH },
  ).output();
  assert.equal(a.code, 0, text(a.stderr));
  assert.equal(local.counts()["scale factor=2"], 1);
  const withFlag = await manifestKeys(local.results);
  await assert.rejects(() => Deno.stat(join(withFlag.dir, "jobs.jsonl")));
  await assert.rejects(() => Deno.stat(join(local.store, "jobs")));

  await using plain = await tempEnv();
  const b = await cli(["run", experiment, "--store", plain.store, "--results", plain.results], {
    PATH,
  }).output();
  assert.equal(b.code, 0, text(b.stderr));
  assert.deepEqual((await manifestKeys(plain.results)).keys, withFlag.keys);
  for (const e of [local, plain]) await Deno.remove(e.dir, { recursive: true });
});

Deno.test("plan --executor slurm prints the sbatch line of every compute stage, submitting nothing", async () => {
  await using env = await tempEnv();
  const PATH = await pathWithoutSlurm(env.dir);
  const out = await cli(["plan", experiment, "--executor", "slurm", "--store", env.store], { PATH })
    .output();
  const stdout = text(out.stdout);
  assert.equal(out.code, 0, text(out.stderr));
  const lines = stdout.split("\n").filter((l) => l.startsWith("sbatch "));
  assert.equal(lines.length, 3, stdout);
  for (const line of lines) {
    assert.match(line, /--job-name=diffrun-[0-9a-f]{16} /);
    assert.match(line, /--cpus-per-task=1 --time=5:00 --comment=diffrun-test /);
    assert.match(line, new RegExp(`exec [0-9a-f]{64} --store ${env.store}'$`));
  }
  assert.match(stdout, /# numbers: bookkeeping, runs in the head/);
  assert.match(stdout, /3 job\(s\) to submit/);
  await assert.rejects(() => Deno.stat(join(env.store, "jobs")));
  await Deno.remove(env.dir, { recursive: true });
});

Deno.test("run --executor slurm with a slurm.stages name the plan lacks fails, naming it", async () => {
  await using env = await tempEnv();
  const file = join(env.dir, "typo.ts");
  await Deno.writeTextFile(
    file,
    `import base from "${toFileUrl(experiment)}";\n` +
      `export default { ...base, slurm: { stages: { sacle: { cpus: 2 } } } };\n`,
  );
  const out = await cli(["run", file, "--executor", "slurm", "--store", env.store]).output();
  assert.equal(out.code, 2, text(out.stderr));
  assert.match(text(out.stderr), /slurm\.stages names no stage of the plan: "sacle"/);
  assert.deepEqual(env.counts(), {});
  await Deno.remove(env.dir, { recursive: true });
});
