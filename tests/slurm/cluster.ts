/**
 * A single-node Slurm cluster on localhost for the tests, from Debian's `slurm-wlm` and `munge`:
 * a slurm.conf for one node (this host, 2 CPUs, no cgroups, no accounting database), a fresh
 * munge key, and munged, slurmctld and slurmd started as root with every state directory under
 * one temporary directory. `stop()` ends exactly the daemons it started (by their pid files) and
 * removes the directory. Client commands find the cluster through `SLURM_CONF` (see `env`).
 */
import { join } from "node:path";

export interface Cluster {
  readonly dir: string;
  /** Environment for processes that talk to this cluster (sbatch, diffrun). */
  readonly env: Record<string, string>;
  /** Runs a Slurm client command against the cluster; its stdout. */
  client(command: string, args: string[]): Promise<string>;
  stop(): Promise<void>;
}

const has = async (program: string, args: string[]) => {
  try {
    await new Deno.Command(program, { args, stdout: "null", stderr: "null" }).output();
    return true;
  } catch {
    return false;
  }
};

/** Why the cluster cannot be started here, or null when it can. */
export const slurmMissing = async (): Promise<string | null> => {
  for (
    const [program, args] of [
      ["sbatch", ["--version"]],
      ["slurmctld", ["-V"]],
      ["slurmd", ["-V"]],
      ["munged", ["--version"]],
    ] as const
  ) {
    if (!(await has(program, [...args]))) {
      return `${program} is not installed (apt-get install slurm-wlm munge)`;
    }
  }
  if (Deno.uid() !== 0) return "the test cluster's daemons must be started as root";
  return null;
};

const run = async (program: string, args: string[], env: Record<string, string> = {}) => {
  const out = await new Deno.Command(program, { args, env, stdout: "piped", stderr: "piped" })
    .output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  if (out.code !== 0) {
    throw new Error(`${program} ${args.join(" ")} failed (${out.code}): ${decode(out.stderr)}`);
  }
  return decode(out.stdout);
};

const readPid = async (path: string): Promise<number | null> => {
  const text = await Deno.readTextFile(path).catch(() => null);
  const pid = text === null ? NaN : Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
};

const alive = (pid: number) => {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
};

const waitFor = async (what: string, ok: () => Promise<boolean>, timeoutMs: number) => {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await ok().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
};

export const startCluster = async (): Promise<Cluster> => {
  const dir = await Deno.makeTempDir({ prefix: "diffrun-slurm-" });
  const p = (name: string) => join(dir, name);
  for (const d of ["state", "spool", "log", "run", "munge"]) {
    await Deno.mkdir(p(d), { mode: 0o700 });
  }
  const key = crypto.getRandomValues(new Uint8Array(1024));
  await Deno.writeFile(p("munge/munge.key"), key, { mode: 0o400 });
  const node = Deno.hostname().split(".")[0]!;
  // ports away from the defaults (6817/6818), so a real slurmd on this machine is not disturbed
  const port = 20000 + Math.floor(Math.random() * 20000);
  const socket = p("munge/munge.socket");
  const conf = [
    "ClusterName=diffruntest",
    `SlurmctldHost=${node}`,
    "SlurmUser=root",
    "SlurmdUser=root",
    `SlurmctldPort=${port}`,
    `SlurmdPort=${port + 1}`,
    "AuthType=auth/munge",
    `AuthInfo=socket=${socket}`,
    `StateSaveLocation=${p("state")}`,
    `SlurmdSpoolDir=${p("spool")}`,
    `SlurmctldPidFile=${p("run/slurmctld.pid")}`,
    `SlurmdPidFile=${p("run/slurmd.pid")}`,
    `SlurmctldLogFile=${p("log/slurmctld.log")}`,
    `SlurmdLogFile=${p("log/slurmd.log")}`,
    "ProctrackType=proctrack/linuxproc",
    "TaskPlugin=task/none",
    "JobAcctGatherType=jobacct_gather/none",
    "AccountingStorageType=accounting_storage/none",
    "JobCompType=jobcomp/filetxt",
    `JobCompLoc=${p("log/jobcomp.txt")}`,
    "SchedulerType=sched/backfill",
    "SelectType=select/cons_tres",
    "SelectTypeParameters=CR_Core",
    "ReturnToService=2",
    // ended jobs stay visible to squeue/scontrol for the whole test
    "MinJobAge=3600",
    `NodeName=${node} CPUs=2 State=UNKNOWN`,
    `PartitionName=debug Nodes=${node} Default=YES MaxTime=INFINITE State=UP`,
  ].join("\n") + "\n";
  await Deno.writeTextFile(p("slurm.conf"), conf);
  const env = { SLURM_CONF: p("slurm.conf") };
  const stop = async () => {
    // jobs first, while slurmd can still end their steps (a step left behind would hang)
    const user = Deno.env.get("USER") ?? "root";
    await run("scancel", ["-u", user], env).catch(() => {});
    await waitFor(
      "the jobs to end",
      async () => (await run("squeue", ["-h", "-o", "%i"], env)).trim() === "",
      15_000,
    ).catch(() => {});
    for (const pidFile of ["run/slurmd.pid", "run/slurmctld.pid", "munge/munged.pid"]) {
      const pid = await readPid(p(pidFile));
      if (pid === null || !alive(pid)) continue;
      Deno.kill(pid, "SIGTERM");
      await waitFor(`${pidFile} to exit`, () => Promise.resolve(!alive(pid)), 10_000).catch(() => {
        if (alive(pid)) Deno.kill(pid, "SIGKILL");
      });
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    await run("munged", [
      `--key-file=${p("munge/munge.key")}`,
      `--socket=${socket}`,
      `--pid-file=${p("munge/munged.pid")}`,
      `--log-file=${p("munge/munged.log")}`,
      `--seed-file=${p("munge/munged.seed")}`,
      "--force",
    ]);
    await run("slurmctld", ["-f", p("slurm.conf")], env);
    await run("slurmd", ["-f", p("slurm.conf")], env);
    await waitFor(
      "the node to be idle",
      async () => (await run("sinfo", ["-h", "-o", "%T"], env)).trim() === "idle",
      30_000,
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return { dir, env, client: (command, args) => run(command, args, env), stop };
};
