/**
 * Running an experiment end to end: load the file, plan, open a run directory, schedule, and
 * close the run directory with its final status (also when interrupted).
 *
 * This is the programmatic API behind `diffrun run` and `diffrun rerun`; tests call it directly.
 */
import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import * as Cause from "effect/Cause";
import * as Option from "effect/Option";
import { relative, resolve } from "node:path";
import { loadExperimentModule } from "./experiment.ts";
import { type Plan, planExperiment } from "./plan.ts";
import {
  createRunDir,
  listRunDirs,
  type RunReportWriter,
  type RunStatus,
  sanitiseLabel,
} from "./runDir.ts";
import { type NodeResult, RunEvents } from "./events.ts";
import { runPlan, type StageExecutor } from "./scheduler.ts";
import { runHalving } from "./halvingRun.ts";
import { readMaterialised } from "./schedulerState.ts";
import { describeHalving } from "./halvingRecord.ts";
import { makeProgress } from "./progress.ts";
import { softwareGpuNote, softwareGpuOf } from "./softwareGpu.ts";
import { Store } from "../store/Store.ts";
import { killPoint } from "../store/killPoint.ts";
import { markDeadRuns } from "./runLiveness.ts";
import * as proc from "../platform/process.ts";

export interface RunRequest {
  readonly experimentFile: string;
  readonly profile?: string | undefined;
  readonly overrides: readonly string[];
  readonly backend?: string | undefined;
  readonly jobs: number;
  readonly cores: number;
  readonly keepGoing: boolean;
  readonly projectRoot: string;
  readonly resultsRoot: string;
  readonly argv: readonly string[];
  /** Where progress and the closing lines go (stdout in the CLI). */
  readonly write: (text: string) => void;
  readonly tty: boolean;
  /** Runs compute stages elsewhere (Slurm), given the run directory; absent: all run here. */
  readonly executor?: (runDir: string) => StageExecutor;
  /** Writes the report of the closed run directory (the CLI: report.html); absent: none. */
  readonly report?: RunReportWriter;
}

export interface RunOutcome {
  readonly runDir: string;
  readonly status: RunStatus;
  readonly plan: Plan;
  readonly results: ReadonlyMap<string, NodeResult>;
}

/**
 * Turns the requested backend (possibly `auto`) into a concrete one with a reason; the CLI
 * passes the engine's (src/engine/chooseBackend.ts), which core may not import.
 */
export type BackendResolver = (
  requested: string,
  source: "--backend" | "DIFFRUN_BACKEND" | "experiment field" | "default",
) => Promise<{ readonly backend: string; readonly reason: string }>;

/** Without a resolver (tests, library callers) `auto` means ort: nothing probes for a GPU. */
const noProbe: BackendResolver = (requested, source) =>
  Promise.resolve(
    requested === "auto"
      ? { backend: "ort", reason: "auto: no adapter probe in this caller, using ort" }
      : { backend: requested, reason: `${source} asked for ${requested}` },
  );

const envBackend = (): string | undefined => {
  try {
    return proc.envGet("DIFFRUN_BACKEND") || undefined;
  } catch {
    return undefined; // no --allow-env
  }
};

/**
 * Loads and plans an experiment file (throws PlanError / InvalidFile). The backend is
 * `--backend`, else DIFFRUN_BACKEND, else the experiment's field, else `auto`, resolved once here.
 */
export const loadAndPlan = async (
  req: Pick<RunRequest, "experimentFile" | "profile" | "overrides" | "backend" | "projectRoot"> & {
    readonly maxArms?: number | undefined;
    readonly resolveBackend?: BackendResolver;
  },
) => {
  const exp = await loadExperimentModule(req.experimentFile);
  const env = envBackend();
  const [requested, source] = req.backend !== undefined
    ? [req.backend, "--backend" as const]
    : env !== undefined
    ? [env, "DIFFRUN_BACKEND" as const]
    : exp.backend !== undefined
    ? [exp.backend, "experiment field" as const]
    : ["auto", "default" as const];
  const choice = await (req.resolveBackend ?? noProbe)(requested, source);
  return planExperiment(exp, {
    file: relative(req.projectRoot, resolve(req.experimentFile)) || req.experimentFile,
    profile: req.profile,
    overrides: req.overrides,
    backend: choice.backend,
    backendReason: choice.reason,
    root: req.projectRoot,
    maxArms: req.maxArms,
  });
};

/** Runs an already planned experiment (so planning errors surface before any effect runs). */
export const runPlanned = Effect.fnUntraced(
  function* (plan: Plan, req: RunRequest, store: Store["Service"]) {
    // what killed processes left: their tmp/ items and locks, their run folders still `running`
    yield* store.sweep().pipe(
      Effect.catch((e) => Effect.logWarning(`could not sweep the store: ${e.message}`)),
    );
    yield* Effect.promise(async () => markDeadRuns(await listRunDirs(req.resultsRoot)));
    const runDir = yield* Effect.promise(() =>
      createRunDir({
        resultsRoot: req.resultsRoot,
        projectRoot: req.projectRoot,
        storeRoot: store.root,
        plan,
        command: {
          experimentFile: plan.experiment.file,
          profile: plan.experiment.profile,
          overrides: [...req.overrides],
          backend: plan.experiment.backend,
          jobs: req.jobs,
          keepGoing: req.keepGoing,
          argv: [...req.argv],
        },
      })
    );
    killPoint("planning");
    const progress = makeProgress({ tty: req.tty, write: req.write });
    req.write(
      `diffrun: ${plan.experiment.name}${
        plan.experiment.profile ? ` (profile ${plan.experiment.profile})` : ""
      }: ${plan.arms.length} arm(s), ${plan.nodes.size} stage(s), backend ${plan.experiment.backend}${
        plan.experiment.backendReason ? ` (${plan.experiment.backendReason})` : ""
      }\n`,
    );
    if (plan.halving !== null) req.write(describeHalving(plan.halving).join("\n") + "\n");
    const events = RunEvents.fanOut([
      (e) => Effect.sync(() => runDir.onEvent(e)),
      (e) => Effect.sync(() => progress.onEvent(e)),
    ]);

    // halving finishes the plan with its cross-arm stages at run time
    let current = plan;
    const closeWith = (status: RunStatus) =>
      Effect.gen(function* () {
        const plan = current;
        const summaries = new Map<string, Record<string, unknown>>();
        for (const arm of plan.arms) {
          const key = arm.outputs.summary;
          if (key === undefined) continue;
          const value = yield* readMaterialised(store, runDir.results, plan.nodes.get(key)!);
          if (Option.isSome(value) && value.value !== null && typeof value.value === "object") {
            summaries.set(arm.id, value.value as Record<string, unknown>);
          }
        }
        yield* Effect.promise(() =>
          runDir.finish(status, (k) => store.artifactDir(k), summaries, req.report)
        );
        req.write(`${progress.summary()}\n`);
        const software = softwareGpuOf([...runDir.results.values()].map((r) => r.annotations));
        if (software !== undefined) req.write(`${softwareGpuNote(software)}\n`);
        const rel = relative(proc.cwd(), runDir.dir);
        const shown = rel === "" || rel.startsWith("..") ? runDir.dir : rel;
        req.write(`${status === "succeeded" ? "Done" : `Run ${status}`}. Results: ${shown}\n`);
        req.write(`  summary:  ${shown}/summary.md\n  manifest: ${shown}/manifest.json\n`);
        const images = pictures(runDir.linked, runDir.results);
        for (const image of images.slice(0, 8)) {
          req.write(`  image:    ${shown}/artifacts/${image}\n`);
        }
        if (images.length > 8) {
          req.write(`  … and ${images.length - 8} more images under ${shown}/artifacts/\n`);
        }
      });

    const options = {
      jobs: req.jobs,
      keepGoing: req.keepGoing,
      cores: req.cores,
      backend: plan.experiment.backend,
      ...(req.executor ? { executor: req.executor(runDir.dir) } : {}),
    };
    const outcome =
      yield* (plan.halving === null ? runPlan(plan, options) : runHalving(plan, options, {
        onRung: (record, halving) => Effect.promise(() => runDir.recordRung(record, halving)),
        onFinish: (finished) =>
          Effect.sync(() => {
            current = finished;
            runDir.setPlan(finished);
          }),
      })).pipe(
        Effect.provide(events),
        Effect.onExit((exit) =>
          Exit.isFailure(exit) && Cause.hasInterrupts(exit.cause)
            ? closeWith("interrupted").pipe(Effect.ignore)
            : Effect.void
        ),
      );
    const failed = [...outcome.results.values()].some((r) =>
      r.status === "failed" || r.status === "skipped"
    );
    const interrupted = Exit.isFailure(outcome.exit) && Cause.hasInterruptsOnly(outcome.exit.cause);
    const status: RunStatus = interrupted
      ? "interrupted"
      : failed || Exit.isFailure(outcome.exit)
      ? "failed"
      : "succeeded";
    yield* closeWith(status);
    return {
      runDir: runDir.dir,
      status,
      plan: current,
      results: outcome.results,
    } satisfies RunOutcome;
  },
);

/**
 * PNG files (plots, sample grids) the run linked, as paths relative to `artifacts/`: from the
 * file lists of the linking (key -> files), so no folder is walked.
 */
const pictures = (
  linked: ReadonlyMap<string, readonly string[]>,
  results: ReadonlyMap<string, NodeResult>,
): string[] => {
  const found: string[] = [];
  for (const [key, files] of linked) {
    const label = results.get(key)?.label;
    if (label === undefined) continue;
    for (const f of files) if (f.endsWith(".png")) found.push(`${sanitiseLabel(label)}/${f}`);
  }
  // cross-arm reports first: they are what a reader opens first
  const rank = (path: string) => (/report|aggregate/.test(path.split("/")[0]!) ? 0 : 1);
  return found.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
};
