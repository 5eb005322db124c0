import assert from "node:assert/strict";
import {
  jobName,
  sbatchArgs,
  sbatchLine,
  shellQuote,
  workerArgv,
} from "../../src/executor/sbatch.ts";

const command = {
  deno: "/opt/deno/bin/deno",
  permissions: ["--allow-read=.,/tmp", "--allow-env"],
  main: "/home/me/diffrun/src/cli/main.ts",
  projectRoot: "/home/me/diffrun",
  storeRoot: "/shared/store",
};
const key = "ab".repeat(32);

Deno.test("sbatchArgs() renders every resource as its sbatch flag, extra flags after them", () => {
  const args = sbatchArgs({
    key,
    label: "train[lr=0.1]",
    resources: {
      partition: "gpu",
      cpus: 8,
      gpus: 2,
      mem: "32G",
      time: "1-12:00:00",
      sbatch: ["--qos=short", "--constraint=a100"],
    },
    logPattern: "/shared/store/jobs/k/slurm-%j.out",
    command,
  });
  assert.deepEqual(args.slice(0, -1), [
    "--parsable",
    `--job-name=diffrun-${"ab".repeat(8)}`,
    "--output=/shared/store/jobs/k/slurm-%j.out",
    "--chdir=/home/me/diffrun",
    "--partition=gpu",
    "--cpus-per-task=8",
    "--gpus=2",
    "--mem=32G",
    "--time=1-12:00:00",
    "--qos=short",
    "--constraint=a100",
  ]);
  assert.deepEqual(
    args.at(-1),
    `--wrap=/opt/deno/bin/deno run --allow-read=.,/tmp --allow-env /home/me/diffrun/src/cli/main.ts exec ${key} --store /shared/store`,
  );
});

Deno.test("sbatchArgs() leaves out resources that are not set, and gpus=0", () => {
  const args = sbatchArgs({ key, label: "x", resources: { gpus: 0 }, logPattern: "l", command });
  assert.deepEqual(args.filter((a) => !a.startsWith("--wrap=")), [
    "--parsable",
    `--job-name=${jobName(key)}`,
    "--output=l",
    "--chdir=/home/me/diffrun",
  ]);
});

Deno.test("shellQuote() leaves plain words alone and single-quotes the rest", () => {
  assert.deepEqual(shellQuote("--time=2:00:00"), "--time=2:00:00");
  assert.deepEqual(shellQuote("a b"), "'a b'");
  assert.deepEqual(shellQuote("it's"), `'it'\\''s'`);
  assert.deepEqual(shellQuote("$HOME"), "'$HOME'");
});

Deno.test("sbatchLine() is a pasteable shell line whose --wrap is one quoted word", () => {
  const line = sbatchLine({
    key,
    label: "x",
    resources: { cpus: 2 },
    logPattern: "/s/slurm-%j.out",
    command: { ...command, storeRoot: "/shared/my store" },
  });
  assert.ok(line.includes("sbatch --parsable "), line);
  assert.ok(line.includes("--cpus-per-task=2"), line);
  // the store path with a space is quoted inside the wrap, the wrap itself quoted as one word
  assert.ok(line.includes(`'--wrap=/opt/deno/bin/deno run`), line);
  assert.ok(line.includes(`--store '\\''/shared/my store'\\'''`), line);
  assert.deepEqual(workerArgv(command, key).slice(-4), ["exec", key, "--store", "/shared/store"]);
});
