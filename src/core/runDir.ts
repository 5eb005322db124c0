/**
 * Run directories: `results/<experiment>/<timestamp>-<short-hash>/`, one per run.
 *
 * Holds manifest.json (everything needed to reproduce and to trust the numbers), one log per
 * stage that ran under logs/ (`logs/cached.txt` lists the stages found cached, one line each: a
 * 1,000-stage cached re-run creates one file there, not 1,000), metrics.jsonl (every metrics
 * row, cached stages' rows replayed), summary.md (every arm's final metrics), artifacts/ (hard
 * links into the store, not copies), and whatever report the caller plugs in (the CLI:
 * report.html from src/report/, written last).
 */
import { softwareGpuNote, softwareGpuOf } from "./softwareGpu.ts";
import * as v from "valibot";
import { join, relative } from "node:path";
import { cpus, hostname, totalmem } from "node:os";
import type { HalvingPlan, Plan } from "./plan.ts";
import type { RungRecord } from "./halvingRun.ts";
import { HALVING_FILE, halvingMarkdown, halvingRecord } from "./halvingRecord.ts";
import type { NodeResult, RunEvent } from "./events.ts";
import { sha256Hex } from "./cacheKey.ts";
import { InvalidFile } from "./errors.ts";
import { formatValue } from "./sweep.ts";
import { killPoint } from "../store/killPoint.ts";
import { holdRunLock } from "./runLiveness.ts";
import { makeRunLogs } from "./runLogs.ts";
import { linkFiles, linkTree } from "./runLinks.ts";
import * as fsys from "../platform/fs.ts";
import { osArch, runtimeVersions } from "../platform/runtime.ts";
import { runCommand } from "../platform/spawn.ts";
import { pinnedDependencies } from "./dependencies.ts";
import * as proc from "../platform/process.ts";

export const MANIFEST_VERSION = 1;

export type RunStatus = "running" | "succeeded" | "failed" | "interrupted";

export const ManifestSchema = v.looseObject({
  manifestVersion: v.literal(MANIFEST_VERSION),
  runId: v.string(),
  status: v.picklist(["running", "succeeded", "failed", "interrupted"]),
  startedAt: v.string(),
  finishedAt: v.nullable(v.string()),
  command: v.looseObject({
    experimentFile: v.string(),
    profile: v.nullable(v.string()),
    overrides: v.array(v.string()),
    backend: v.string(),
    jobs: v.number(),
    keepGoing: v.boolean(),
    argv: v.array(v.string()),
  }),
  experiment: v.looseObject({ name: v.string(), seed: v.number() }),
  pipeline: v.looseObject({ name: v.string(), module: v.string() }),
  arms: v.array(
    v.looseObject({
      id: v.string(),
      values: v.record(v.string(), v.unknown()),
      params: v.unknown(),
      outputs: v.record(v.string(), v.string()),
    }),
  ),
  aggregate: v.record(v.string(), v.string()),
  stages: v.array(v.looseObject({
    key: v.string(),
    label: v.string(),
    stage: v.string(),
    components: v.unknown(),
    status: v.nullable(v.string()),
  })),
  store: v.string(),
});
export type Manifest = v.InferOutput<typeof ManifestSchema>;

const git = async (root: string, args: string[]): Promise<string | null> => {
  try {
    const out = await runCommand("git", { args, cwd: root });
    return out.success ? new TextDecoder().decode(out.stdout) : null;
  } catch {
    return null;
  }
};

/** Commit, dirty flag and (when dirty) the diff, so a run can be tied to exact code. */
export const gitInfo = async (root: string) => {
  const commit = (await git(root, ["rev-parse", "HEAD"]))?.trim() ?? null;
  const status = await git(root, ["status", "--porcelain", "--untracked-files=no"]);
  const dirty = status === null ? null : status.trim() !== "";
  const diff = dirty ? await git(root, ["diff", "HEAD"]) : null;
  return { commit, dirty, diff };
};

/** Under logs/: one line per stage found cached (`.txt`, so no stage's `<label>.log` is it). */
const CACHED_LOG = "logs/cached.txt";

/** The directory name of a stage label under artifacts/ and logs/. */
export const sanitiseLabel = (label: string): string =>
  label.replace(/[^\w.=,-]+/g, "_").slice(0, 120);

/** A report written into a finished run directory from its files (the CLI plugs in report.html). */
export interface RunReportWriter {
  /** The file it writes, for the log line of a failure. */
  readonly name: string;
  write(runDir: string): Promise<void>;
}

export interface RunDirInit {
  readonly resultsRoot: string;
  readonly projectRoot: string;
  readonly storeRoot: string;
  readonly plan: Plan;
  readonly command: Manifest["command"];
}

/**
 * Creates `<parent>/<base>` exclusively, or `<base>-2`, `<base>-3`… when a run of the same plan
 * started in the same second (another process, or a quick re-run) already holds that name: two
 * runs never share a directory.
 */
export const claimRunDir = async (parent: string, base: string) => {
  await fsys.mkdir(parent, { recursive: true });
  for (let n = 1;; n++) {
    const runId = n === 1 ? base : `${base}-${n}`;
    const dir = join(parent, runId);
    try {
      await fsys.mkdir(dir); // not recursive: fails if it exists
      return { runId, dir };
    } catch (e) {
      if (!(fsys.isAlreadyExists(e))) throw e;
    }
  }
};

/** Creates the run directory and returns a writer the run feeds with events. */
export const createRunDir = async (init: RunDirInit) => {
  // successive halving finishes the plan at run time with its cross-arm stages (setPlan)
  let plan = init.plan;
  const rungs: RungRecord[] = [];
  const started = new Date();
  const planHash = sha256Hex([...plan.nodes.keys()].join("\n")).slice(0, 8);
  const stamp = started.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z").replace(
    "T",
    "-",
  );
  const { runId, dir } = await claimRunDir(
    join(init.resultsRoot, plan.experiment.name),
    `${stamp}-${planHash}`,
  );
  const liveness = await holdRunLock(dir);
  await fsys.mkdir(join(dir, "logs"), { recursive: true });
  await fsys.mkdir(join(dir, "artifacts"), { recursive: true });
  const g = await gitInfo(init.projectRoot);
  if (g.diff) await fsys.writeTextFile(join(dir, "git.diff"), g.diff);
  const results = new Map<string, NodeResult>();
  /** Key -> the files linked under artifacts/<label>/ (the manifest lists them; no walk needed). */
  const linked = new Map<string, string[]>();
  const appends = makeRunLogs(dir);
  fsys.writeTextFileSync(join(dir, "metrics.jsonl"), "");

  const manifest = (status: RunStatus, finishedAt: string | null) => ({
    manifestVersion: MANIFEST_VERSION,
    runId,
    status,
    startedAt: started.toISOString(),
    finishedAt,
    command: init.command,
    experiment: plan.experiment,
    pipeline: {
      ...plan.pipeline,
      module: relative(init.projectRoot, new URL(plan.pipeline.module).pathname),
    },
    arms: plan.arms,
    aggregate: plan.aggregate,
    stages: [...plan.nodes.values()].map((n) => {
      const r = results.get(n.key);
      return {
        key: n.key,
        label: n.label,
        stage: n.def.name,
        version: n.def.version,
        arms: n.arms,
        inputs: n.inputs,
        seed: n.components.seed,
        components: n.components,
        status: r?.status ?? null,
        startedAt: r?.startedAt ?? null,
        finishedAt: r?.finishedAt ?? null,
        durationMs: r?.durationMs ?? null,
        resumed: r?.resumed ?? false,
        error: r?.error ?? null,
        annotations: r?.annotations ?? {},
        ...(linked.has(n.key) ? { files: linked.get(n.key) } : {}),
      };
    }),
    engine: plan.engine,
    git: { commit: g.commit, dirty: g.dirty, diffFile: g.diff ? "git.diff" : null },
    runtime: runtimeVersions(),
    libraries: pinnedDependencies(init.projectRoot),
    host: {
      hostname: hostname(),
      os: osArch(),
      cores: cpus().length,
      memoryBytes: totalmem(),
    },
    store: init.storeRoot,
    process: { pid: proc.pid(), hostname: hostname() },
  });
  const writeManifest = async (status: RunStatus, finishedAt: string | null) => {
    const tmp = join(dir, `.manifest.${crypto.randomUUID().slice(0, 8)}.tmp`);
    await fsys.writeTextFile(tmp, JSON.stringify(manifest(status, finishedAt), null, 2) + "\n");
    await fsys.rename(tmp, join(dir, "manifest.json"));
  };
  await writeManifest("running", null);

  const appendLog = (label: string, line: string) =>
    appends.add(`logs/${sanitiseLabel(label)}.log`, line);

  /** Consumes one scheduler event (called from the RunEvents layer); writes in batches. */
  const onEvent = (e: RunEvent) => {
    switch (e.type) {
      case "started":
        appendLog(
          e.node.label,
          `${new Date().toISOString()} started ${e.node.def.name} key=${e.node.key}`,
        );
        break;
      case "info":
        appendLog(e.node.label, `${new Date().toISOString()} ${e.message}`);
        break;
      case "metric": {
        const row = {
          stage: e.node.label,
          key: e.node.key.slice(0, 12),
          arms: e.node.arms,
          cached: e.cached,
          ...e.record,
        };
        appends.add("metrics.jsonl", JSON.stringify(row));
        break;
      }
      case "finished": {
        results.set(e.node.key, e.result);
        const r = e.result;
        if (r.status === "cached") {
          appends.add(
            CACHED_LOG,
            `${new Date().toISOString()} ${e.node.label} key=${e.node.key.slice(0, 12)}${
              r.durationMs === null ? "" : ` (ran in ${(r.durationMs / 1000).toFixed(2)} s)`
            }`,
          );
          break;
        }
        appendLog(
          e.node.label,
          `${new Date().toISOString()} ${r.status}${
            r.durationMs === null ? "" : ` in ${(r.durationMs / 1000).toFixed(2)} s`
          }${r.error ? `: ${r.error}` : ""}`,
        );
        break;
      }
      case "progress":
        break;
    }
  };

  /** Halving: the plan finished with its cross-arm stages replaces the planned one. */
  const setPlan = (finished: Plan) => {
    plan = finished;
  };

  /** Halving: each rung's ranking and decision, rewritten whole after every rung. */
  const recordRung = async (record: RungRecord, halving: HalvingPlan) => {
    rungs.push(record);
    await fsys.writeTextFile(
      join(dir, HALVING_FILE),
      JSON.stringify(halvingRecord(halving, rungs), null, 2) + "\n",
    );
  };

  /** Links every finished artifact, writes summary.md, the final manifest, then the report. */
  const finish = async (
    status: RunStatus,
    artifactDir: (key: string) => string,
    summaries: ReadonlyMap<string, Record<string, unknown>>,
    writeReport?: RunReportWriter,
  ) => {
    appends.flush();
    for (const node of plan.nodes.values()) {
      const r = results.get(node.key);
      if (r?.status !== "ran" && r?.status !== "cached") continue;
      const to = join(dir, "artifacts", sanitiseLabel(node.label));
      linked.set(
        node.key,
        r.files === undefined
          ? await linkTree(artifactDir(node.key), to)
          : await linkFiles(artifactDir(node.key), to, r.files),
      );
    }
    killPoint("run-folder");
    await fsys.writeTextFile(
      join(dir, "summary.md"),
      summaryMarkdown(plan, results, summaries, status) + halvingMarkdown(rungs),
    );
    await writeManifest(status, new Date().toISOString());
    await liveness.release();
    // the report reads only what was just written; a failure to render it is logged, and never
    // turns a finished run into a failed one
    await writeReport?.write(dir).catch((e) => {
      appendLog(
        writeReport.name,
        `could not write ${writeReport.name}: ${e instanceof Error ? e.message : e}`,
      );
      appends.flush();
    });
  };

  return { dir, runId, onEvent, finish, results, linked, setPlan, recordRung };
};

const cell = (x: unknown): string =>
  x === undefined || x === null
    ? ""
    : typeof x === "number"
    ? (Number.isInteger(x) ? String(x) : x.toPrecision(4))
    : formatValue(x);

/** summary.md: one row per arm (swept values + summary metrics), then the stage table. */
export const summaryMarkdown = (
  plan: Plan,
  results: ReadonlyMap<string, NodeResult>,
  summaries: ReadonlyMap<string, Record<string, unknown>>,
  status: RunStatus,
): string => {
  const lines = [
    `# ${plan.experiment.name}${
      plan.experiment.profile ? ` (profile ${plan.experiment.profile})` : ""
    }`,
    "",
    `Status: **${status}**`,
    "",
  ];
  const software = softwareGpuOf([...results.values()].map((r) => r.annotations));
  if (software !== undefined) lines.push(`**${softwareGpuNote(software)}**`, "");
  const axes = [...new Set(plan.arms.flatMap((a) => Object.keys(a.values)))];
  const metricNames = [...new Set([...summaries.values()].flatMap((s) => Object.keys(s)))];
  if (plan.arms.length > 0) {
    lines.push(
      "## Arms",
      "",
      `| arm | ${[...axes, ...metricNames].join(" | ")} |`,
      `|${"---|".repeat(1 + axes.length + metricNames.length)}`,
    );
    for (const arm of plan.arms) {
      const s = summaries.get(arm.id) ?? {};
      lines.push(
        `| ${arm.id} | ${
          [
            ...axes.map((a) => cell(arm.values[a])),
            ...metricNames.map((m) => cell(s[m])),
          ].join(" | ")
        } |`,
      );
    }
    lines.push("");
  }
  lines.push("## Stages", "", "| stage | status | seconds | key |", "|---|---|---|---|");
  for (const node of plan.nodes.values()) {
    const r = results.get(node.key);
    lines.push(
      `| ${node.label} | ${r?.status ?? "not run"} | ${
        r?.durationMs == null ? "" : (r.durationMs / 1000).toFixed(2)
      } | ${node.key.slice(0, 12)} |`,
    );
  }
  return lines.join("\n") + "\n";
};

/** Reads and validates a run directory's manifest. */
export const readManifest = async (runDir: string): Promise<Manifest> => {
  const path = join(runDir, "manifest.json");
  let raw: unknown;
  try {
    raw = JSON.parse(await fsys.readTextFile(path));
  } catch (e) {
    throw new InvalidFile({
      path,
      reason: fsys.isNotFound(e)
        ? "no manifest.json: not a run directory"
        : `not JSON (${e instanceof Error ? e.message : e})`,
    });
  }
  const checked = v.safeParse(ManifestSchema, raw);
  if (!checked.success) throw new InvalidFile({ path, reason: v.summarize(checked.issues) });
  return checked.output;
};

/** Every run directory under a results root, newest first. */
export const listRunDirs = async (resultsRoot: string): Promise<string[]> => {
  const dirs: string[] = [];
  const exists = await fsys.stat(resultsRoot).then(() => true, () => false);
  if (!exists) return dirs;
  for await (const exp of fsys.readDir(resultsRoot)) {
    if (!exp.isDirectory) continue;
    for await (const run of fsys.readDir(join(resultsRoot, exp.name))) {
      if (run.isDirectory) dirs.push(join(resultsRoot, exp.name, run.name));
    }
  }
  return dirs.sort((a, b) => (a.split("/").at(-1)! < b.split("/").at(-1)! ? 1 : -1));
};
