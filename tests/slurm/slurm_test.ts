/**
 * The Slurm executor against a real single-node Slurm cluster on localhost (started by the
 * test, stopped after). Skips with a message when Slurm or munge are not installed.
 */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { cli, projectRoot, type TempEnv, tempEnv, text } from "../core/helpers.ts";
import { type Cluster, slurmMissing, startCluster } from "./cluster.ts";
import { readJobEvents } from "../../src/executor/jobRecords.ts";
import { jobName } from "../../src/executor/sbatch.ts";

const experiment = resolve(projectRoot, "tests/slurm/testdata/slurm_experiment.ts");
const missing = await slurmMissing();
if (missing) console.log(`skipping the Slurm tests: ${missing}`);

const runDirs = async (results: string) => {
  const dirs: string[] = [];
  for await (const e of Deno.readDir(join(results, "toy-slurm"))) {
    dirs.push(join(results, "toy-slurm", e.name));
  }
  return dirs.sort();
};

const manifest = async (dir: string) =>
  JSON.parse(await Deno.readTextFile(join(dir, "manifest.json"))) as {
    status: string;
    stages: {
      key: string;
      label: string;
      status: string;
      annotations?: Record<string, unknown>;
    }[];
  };

/** Key -> sha256 of every artifact file, from the store's meta.json files. */
const checksums = async (store: string, keys: readonly string[]) => {
  const out: Record<string, string[]> = {};
  for (const key of keys) {
    const meta = JSON.parse(
      await Deno.readTextFile(join(store, "entries", key.slice(0, 2), key, "meta.json")),
    );
    out[key] = (meta.files as { path: string; algorithm: string; digest: string }[]).map((f) =>
      `${f.path}:${f.algorithm}:${f.digest}`
    );
  }
  return out;
};

/** Every job the controller knows (ended ones included: MinJobAge is an hour), by name. */
const jobsByName = async (cluster: Cluster) => {
  const out = await cluster.client("squeue", ["-h", "--states=all", "-o", "%i|%j|%T"]);
  const byName = new Map<string, string[]>();
  for (const line of out.split("\n").filter(Boolean)) {
    const [id, name] = line.split("|");
    byName.set(name!, [...(byName.get(name!) ?? []), id!]);
  }
  return byName;
};

const slurmRun = (cluster: Cluster, env: TempEnv, extra: string[] = []) =>
  cli(
    [
      "run",
      experiment,
      "--executor",
      "slurm",
      "--store",
      env.store,
      "--results",
      env.results,
      ...extra,
    ],
    cluster.env,
  ).output();

Deno.test({
  name: "slurm executor runs compute stages as jobs on a real single-node cluster",
  ignore: missing !== null,
  sanitizeResources: false,
  fn: async (t) => {
    const cluster = await startCluster();
    const envs: TempEnv[] = [];
    const fresh = async () => {
      const e = await tempEnv();
      envs.push(e);
      return e;
    };
    try {
      await t.step("a sweep gives the same keys and checksums as the local executor", async () => {
        const local = await fresh();
        const a = await cli(["run", experiment, "--store", local.store, "--results", local.results])
          .output();
        assert.equal(a.code, 0, text(a.stderr));
        const slurm = await fresh();
        const b = await slurmRun(cluster, slurm);
        assert.equal(b.code, 0, text(b.stdout) + text(b.stderr));

        const [localDir] = await runDirs(local.results);
        const [slurmDir] = await runDirs(slurm.results);
        const lm = await manifest(localDir!);
        const sm = await manifest(slurmDir!);
        assert.equal(sm.status, "succeeded");
        const keys = lm.stages.map((s) => s.key).sort();
        assert.deepEqual(sm.stages.map((s) => s.key).sort(), keys);
        assert.deepEqual(await checksums(slurm.store, keys), await checksums(local.store, keys));

        // one job per compute stage (scale × 3 arms), recorded with its id; the rest ran here
        const events = await readJobEvents(slurmDir!);
        const scaleKeys = sm.stages.filter((s) => s.label.startsWith("scale")).map((s) => s.key);
        assert.equal(scaleKeys.length, 3);
        assert.deepEqual(
          events.filter((e) => e.event === "submitted").map((e) => e.key).sort(),
          [...scaleKeys].sort(),
        );
        const byName = await jobsByName(cluster);
        for (const key of scaleKeys) assert.equal(byName.get(jobName(key))?.length, 1, key);
        // the manifest names each stage's job
        for (const e of events) {
          const stage = sm.stages.find((s) => s.key === e.key)!;
          assert.equal(stage.status, "ran");
          assert.equal(stage.annotations?.slurmJob, e.jobId);
        }
        assert.deepEqual(slurm.counts()["numbers n=4"], 1);
        for (const f of [1, 2, 3]) assert.equal(slurm.counts()[`scale factor=${f}`], 1);

        // rerun through Slurm: every stage a store hit, no job submitted
        await new Promise((r) => setTimeout(r, 1100)); // run directories are named to the second
        const again = await cli(
          [
            "rerun",
            slurmDir!,
            "--executor",
            "slurm",
            "--store",
            slurm.store,
            "--results",
            slurm.results,
          ],
          cluster.env,
        ).output();
        assert.equal(again.code, 0, text(again.stdout) + text(again.stderr));
        assert.match(text(again.stdout), /every stage key matches the original run/);
        const rerunDir = (await runDirs(slurm.results)).find((d) => d !== slurmDir)!;
        assert.ok(
          (await manifest(rerunDir)).stages.every((s) => s.status === "cached"),
          "every stage should be a cache hit",
        );
        assert.deepEqual(await readJobEvents(rerunDir), []);
      });

      await t.step(
        "after kill -9 of the head, the same command re-attaches to its jobs",
        async () => {
          const env = await fresh();
          const args = [
            "run",
            experiment,
            "--profile",
            "slow",
            "--executor",
            "slurm",
            "--store",
            env.store,
            "--results",
            env.results,
          ];
          const head = cli(args, cluster.env, { stdout: "null", stderr: "null" }).spawn();
          // wait until both jobs of the slow profile are submitted, then kill the head
          const until = Date.now() + 60_000;
          let submitted = 0;
          while (Date.now() < until && submitted < 2) {
            await new Promise((r) => setTimeout(r, 100));
            const dirs = await runDirs(env.results).catch(() => []);
            if (dirs[0]) {
              submitted = (await readJobEvents(dirs[0])).filter((e) => e.event === "submitted")
                .length;
            }
          }
          assert.equal(submitted, 2, "the head did not submit both jobs in time");
          head.kill("SIGKILL");
          const status = await head.status;
          assert.equal(status.signal, "SIGKILL");
          // run directories are named to the second: let the re-run get its own
          await new Promise((r) => setTimeout(r, 1100));
          const running = await cluster.client("squeue", ["-h", "-o", "%i|%T"]);
          assert.equal(
            running.split("\n").filter(Boolean).length,
            2,
            `both jobs should still be queued or running: ${running}`,
          );

          const again = await cli(
            [
              "run",
              experiment,
              "--profile",
              "slow",
              "--executor",
              "slurm",
              "--store",
              env.store,
              "--results",
              env.results,
            ],
            cluster.env,
          ).output();
          const out = text(again.stdout);
          assert.equal(again.code, 0, out + text(again.stderr));
          const [first, second] = await runDirs(env.results);
          const e1 = await readJobEvents(first!);
          const e2 = await readJobEvents(second!);
          assert.equal(e1.filter((e) => e.event === "submitted").length, 2);
          // no new submission: both jobs re-attached (they were still pending or running)
          assert.equal(e2.filter((e) => e.event === "submitted").length, 0, JSON.stringify(e2));
          assert.deepEqual(
            e2.filter((e) => e.event === "reattached").map((e) => e.jobId).sort(),
            e1.map((e) => e.jobId).sort(),
          );
          // Slurm saw exactly one job per key, and each stage ran exactly once
          const byName = await jobsByName(cluster);
          for (const e of e1) assert.deepEqual(byName.get(jobName(e.key)), [e.jobId]);
          assert.equal(env.counts()["scale factor=1"], 1);
          assert.equal(env.counts()["scale factor=2"], 1);
          assert.equal((await manifest(second!)).status, "succeeded");
        },
      );

      await t.step("Ctrl-C on the head leaves its jobs running and says so", async () => {
        const env = await fresh();
        const head = cli(
          [
            "run",
            experiment,
            "--profile",
            "slow",
            "--executor",
            "slurm",
            "--store",
            env.store,
            "--results",
            env.results,
          ],
          cluster.env,
          { stdout: "null", stderr: "piped" },
        ).spawn();
        let events: Awaited<ReturnType<typeof readJobEvents>> = [];
        const until = Date.now() + 60_000;
        while (Date.now() < until && events.length < 2) {
          await new Promise((r) => setTimeout(r, 100));
          const [dir] = await runDirs(env.results).catch(() => []);
          if (dir) events = await readJobEvents(dir);
        }
        assert.equal(events.length, 2, "the head did not submit both jobs in time");
        head.kill("SIGINT");
        const out = await head.output();
        assert.equal(out.code, 130);
        const stderr = text(out.stderr);
        for (const e of events) {
          assert.match(stderr, new RegExp(`Slurm job ${e.jobId} keeps running`), stderr);
        }
        const ids = events.map((e) => e.jobId);
        const queued = await cluster.client("squeue", ["-h", "-o", "%i", "-j", ids.join(",")]);
        assert.deepEqual(queued.split("\n").filter(Boolean).sort(), [...ids].sort());
        await cluster.client("scancel", ids);
      });

      await t.step("two heads started at once submit each job once", async () => {
        const env = await fresh();
        const other = join(env.dir, "results-other");
        const start = (results: string) =>
          cli(
            [
              "run",
              experiment,
              "-p",
              "n=6",
              "--executor",
              "slurm",
              "--store",
              env.store,
              "--results",
              results,
            ],
            cluster.env,
          ).output();
        const [a, b] = await Promise.all([start(env.results), start(other)]);
        assert.equal(a.code, 0, text(a.stdout) + text(a.stderr));
        assert.equal(b.code, 0, text(b.stdout) + text(b.stderr));
        const events = [
          ...await readJobEvents((await runDirs(env.results))[0]!),
          ...await readJobEvents((await runDirs(other))[0]!),
        ];
        const submitted = events.filter((e) => e.event === "submitted");
        assert.equal(submitted.length, 3, JSON.stringify(events));
        const byName = await jobsByName(cluster);
        for (const e of submitted) assert.deepEqual(byName.get(jobName(e.key)), [e.jobId]);
        for (const f of [1, 2, 3]) assert.equal(env.counts()[`scale factor=${f}`], 1);
      });

      await t.step("a job the dead head never recorded is found by its name", async () => {
        const env = await fresh();
        const planned = await cli(["plan", experiment, "-p", "factor=5", "--format", "json"])
          .output();
        assert.equal(planned.code, 0, text(planned.stderr));
        const stages = JSON.parse(text(planned.stdout)).stages as { label: string; key: string }[];
        const key = stages.find((s) => s.label.startsWith("scale"))!.key;
        // as if a head submitted this job and died before writing its record: the job is a
        // stand-in that ends without committing anything, so the head must report that
        const jobId = (await cluster.client("sbatch", [
          "--parsable",
          `--job-name=${jobName(key)}`,
          "--output=/dev/null",
          "--wrap=sleep 2",
        ])).trim();
        const out = await slurmRun(cluster, env, ["-p", "factor=5"]);
        const stdout = text(out.stdout);
        assert.equal(out.code, 1, stdout);
        const [dir] = await runDirs(env.results);
        const events = await readJobEvents(dir!);
        assert.deepEqual(events.map((e) => [e.event, e.jobId]), [
          ["reattached", jobId],
          ["ended", jobId],
        ]);
        assert.match(
          stdout,
          new RegExp(`Slurm job ${jobId} ended COMPLETED \\(exit code 0:0\\).* without committing`),
        );
      });

      await t.step(
        "a failing job is reported with its Slurm state and log tail; --retries resubmits",
        async () => {
          const env = await fresh();
          const out = await slurmRun(cluster, env, ["--profile", "failing", "--retries", "1"]);
          const stdout = text(out.stdout);
          assert.equal(out.code, 1, stdout);
          assert.match(
            stdout,
            /Slurm job \d+ ended FAILED \(exit code 1:0\), reason NonZeroExitCode/,
          );
          assert.match(stdout, /last lines of .*slurm-\d+\.out:/);
          // the tail of the worker's log, with the stage's own error
          assert.match(stdout, /factor 2 was asked to fail/);
          const [dir] = await runDirs(env.results);
          const events = await readJobEvents(dir!);
          const failing = events.filter((e) => e.label === "scale[factor=2]");
          assert.deepEqual(failing.map((e) => e.event), [
            "submitted",
            "ended",
            "submitted",
            "ended",
          ]);
          assert.deepEqual(failing.filter((e) => e.event === "ended").map((e) => e.state), [
            "FAILED",
            "FAILED",
          ]);
          assert.equal(env.counts()["scale factor=2"], 2);
          const m = await manifest(dir!);
          assert.equal(m.status, "failed");
          assert.equal(m.stages.find((s) => s.label === "scale[factor=2]")?.status, "failed");
        },
      );
    } finally {
      await cluster.stop();
      for (const e of envs) await Deno.remove(e.dir, { recursive: true }).catch(() => {});
    }
  },
});
