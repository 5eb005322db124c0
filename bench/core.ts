/**
 * Runner benchmarks (issue 2's goals): a no-op re-run of a fully cached 1,000-stage pipeline end
 * to end (< 1 s), planning a 10,000-arm sweep (< 2 s), scheduler overhead per stage (< 1 ms).
 *
 * Prints a table and one JSON line. Medians over `--repeat` runs (default 5).
 */
import * as Effect from "effect/Effect";
import { join, resolve } from "node:path";
import { loadAndPlan } from "../src/core/runner.ts";
import { Store } from "../src/store/Store.ts";
import { runPlan } from "../src/core/scheduler.ts";
import { RunEvents } from "../src/core/events.ts";

const root = resolve(new URL("..", import.meta.url).pathname);
const fixture = join(root, "bench/fixtures/wide.ts");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * The aggregate `cpu` line of /proc/stat (jiffies by state); null off Linux. Read through `cat`:
 * Deno asks for --allow-all to read /proc/stat itself.
 */
const cpuTimes = async (): Promise<number[] | null> => {
  try {
    const out = await new Deno.Command("cat", { args: ["/proc/stat"], stdout: "piped" }).output();
    if (!out.success) return null;
    const line = new TextDecoder().decode(out.stdout).split("\n")[0]!;
    return line.trim().split(/\s+/).slice(1, 9).map(Number);
  } catch {
    return null;
  }
};

/**
 * What the machine's CPUs did between two /proc/stat readings, as shares of all CPU time: busy
 * (this benchmark and anything else), waiting for I/O, and stolen by the hypervisor. A slow
 * sitting with a high steal or iowait share was slowed by the machine, not by the code.
 */
const cpuShares = (a: number[] | null, b: number[] | null) => {
  if (a === null || b === null) return null;
  const d = b.map((x, i) => x - a[i]!);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = d as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const total = d.reduce((x, y) => x + y, 0) || 1;
  const share = (x: number) => Math.round((1000 * x) / total) / 1000;
  return {
    busy: share(user + nice + system + irq + softirq),
    idle: share(idle),
    iowait: share(iowait),
    steal: share(steal),
  };
};

export const benchCore = async (repeat = 5) => {
  const tmp = await Deno.makeTempDir({ prefix: "diffrun-bench-" });
  const store = join(tmp, "store");
  const results = join(tmp, "results");
  // the permission flags of `deno task diffrun`, so the re-run is timed as users run it
  const task: string = JSON.parse(await Deno.readTextFile(join(root, "deno.json"))).tasks.diffrun;
  const permissions = task.split(/\s+/).filter((a) => a.startsWith("--allow-"));
  const cliArgs = [
    "run",
    ...permissions,
    join(root, "src/cli/main.ts"),
    "run",
    fixture,
    "--store",
    store,
    "--results",
    results,
  ];

  // 1. populate, then time the fully cached re-run as a user types it (process start included)
  const populate = await new Deno.Command(Deno.execPath(), {
    args: cliArgs,
    cwd: root,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!populate.success) throw new Error(new TextDecoder().decode(populate.stderr));
  const rerun: number[] = [];
  const before = await cpuTimes();
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: cliArgs,
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    rerun.push(performance.now() - t0);
    const text = new TextDecoder().decode(out.stdout);
    if (!/0 ran, 1000 cached/.test(text)) {
      throw new Error(`expected a full cache hit, got:\n${text}`);
    }
  }

  const machine = cpuShares(before, await cpuTimes());

  // 2. planning 10,000 arms (module already imported once, as in a CLI process)
  await loadAndPlan({ experimentFile: fixture, profile: "huge", overrides: [], projectRoot: root });
  const planning: number[] = [];
  let stages = 0;
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    const plan = await loadAndPlan({
      experimentFile: fixture,
      profile: "huge",
      overrides: [],
      projectRoot: root,
    });
    planning.push(performance.now() - t0);
    stages = plan.nodes.size;
  }

  // 3. scheduler overhead: 1,000 stages that do nothing, run through the real store; per stage,
  //    (a) when all are misses (run + atomic write + checksum) and (b) when all are hits
  const plan = await loadAndPlan({ experimentFile: fixture, overrides: [], projectRoot: root });
  const missMs: number[] = [];
  const hitMs: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const fresh = join(tmp, `sched-${i}`);
    const once = () =>
      Effect.runPromise(
        runPlan(plan, { jobs: 2, keepGoing: false, cores: 2, backend: "none" }).pipe(
          Effect.provide(RunEvents.layerSilent),
          Effect.provide(Store.layer(fresh)),
        ),
      );
    let t0 = performance.now();
    await once();
    missMs.push((performance.now() - t0) / plan.nodes.size);
    t0 = performance.now();
    await once();
    hitMs.push((performance.now() - t0) / plan.nodes.size);
  }
  await Deno.remove(tmp, { recursive: true });
  return {
    cachedRerun1000Ms: median(rerun),
    cachedRerunsMs: rerun.map((ms) => Math.round(ms)),
    machineDuringReruns: machine,
    plan10kArmsMs: median(planning),
    plan10kStages: stages,
    schedulerPerStageMissMs: median(missMs),
    schedulerPerStageHitMs: median(hitMs),
  };
};
