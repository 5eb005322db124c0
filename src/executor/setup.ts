/**
 * Choosing and building the executor of a run: `--executor` over the experiment file's
 * `executor`, the Slurm settings of the experiment file, and the command a job runs.
 */
import * as Effect from "effect/Effect";
import { resolve } from "node:path";
import { UsageError } from "../core/errors.ts";
import * as v from "valibot";
import type { Plan } from "../core/plan.ts";
import type { StageExecutor } from "../core/scheduler.ts";
import { ExecutorKind, SlurmSettings, unknownStageNames } from "./resources.ts";
import type { JobCommand } from "./sbatch.ts";
import { requireSlurm } from "./slurmCli.ts";
import { makeSlurmExecutor } from "./slurm.ts";
import * as fsys from "../platform/fs.ts";
import * as proc from "../platform/process.ts";
import { runtimeName } from "../platform/runtime.ts";

/** The diffrun task's permissions when deno.json cannot be read (kept in step with it). */
const FALLBACK_PERMISSIONS = [
  "--allow-read=.,/usr/share/datasets,/tmp,/proc",
  "--allow-write=.,/tmp",
  "--allow-env",
  "--allow-run=git,sbatch,squeue,scontrol,sacct,scancel",
  "--allow-ffi",
  "--allow-sys",
];

/** The permission flags of `deno task diffrun`, so a job runs with what the head runs with. */
export const taskPermissions = (projectRoot: string): string[] => {
  try {
    const task: unknown = JSON.parse(fsys.readTextFileSync(resolve(projectRoot, "deno.json")))
      ?.tasks?.diffrun;
    if (typeof task !== "string") return FALLBACK_PERMISSIONS;
    return task.split(/\s+/).filter((a) => a.startsWith("--allow-"));
  } catch {
    return FALLBACK_PERMISSIONS;
  }
};

export const jobCommand = (projectRoot: string, storeRoot: string): JobCommand => ({
  deno: proc.execPath(),
  // Bun has no permission flags: a job runs `bun run main.ts exec …`
  permissions: runtimeName() === "deno" ? taskPermissions(projectRoot) : [],
  main: resolve(projectRoot, "src/cli/main.ts"),
  projectRoot,
  storeRoot,
});

export interface ExecutorChoice {
  readonly kind: ExecutorKind;
  readonly settings: SlurmSettings | undefined;
}

const invalid = (file: string, field: string, issues: v.BaseIssue<unknown>[]) =>
  new UsageError({
    reason: issues.map((i) => {
      const path = v.getDotPath(i);
      return `${file}: ${path === null ? field : `${field}.${path}`}: ${i.message}`;
    }).join("; "),
  });

/**
 * `--executor` wins over the experiment file's `executor`; the default is local. The file's
 * choice and Slurm settings come with the plan as data and are checked here.
 */
export const chooseExecutor = (
  plan: Plan,
  flag: ExecutorKind | undefined,
): Effect.Effect<ExecutorChoice, UsageError> =>
  Effect.gen(function* () {
    const { file, executor } = plan.experiment;
    const kind = v.safeParse(ExecutorKind, executor.kind ?? "local");
    if (!kind.success) return yield* Effect.fail(invalid(file, "executor", kind.issues));
    const settings = v.safeParse(v.optional(SlurmSettings), executor.slurm ?? undefined);
    if (!settings.success) return yield* Effect.fail(invalid(file, "slurm", settings.issues));
    return { kind: flag ?? kind.output, settings: settings.output };
  });

/** Stage names in `slurm.stages` must exist in the plan (a typo is an error, not a default). */
export const checkStageNames = (plan: Plan, settings: SlurmSettings | undefined) => {
  const unknown = unknownStageNames(
    settings,
    [...plan.nodes.values()].map((n) => ({
      name: n.def.name,
      label: n.label,
    })),
  );
  if (unknown.length === 0) return Effect.void;
  const names = [...new Set([...plan.nodes.values()].map((n) => n.def.name))].sort();
  return Effect.fail(
    new UsageError({
      reason: `${plan.experiment.file}: slurm.stages names no stage of the plan: ${
        unknown.map((u) => `"${u}"`).join(", ")
      } (stages: ${names.join(", ")}, or a label from \`diffrun plan\`)`,
    }),
  );
};

export interface SlurmRunRequest {
  readonly plan: Plan;
  readonly settings: SlurmSettings | undefined;
  readonly experimentFile: string;
  readonly profile: string | undefined;
  readonly overrides: readonly string[];
  readonly backend: string | undefined;
  readonly projectRoot: string;
  readonly storeRoot: string;
  /** `--retries`; the experiment file's `slurm.retries` otherwise. */
  readonly retries: number | undefined;
}

/** The run's executor factory, after checking that Slurm is there (else a UsageError). */
export const slurmExecutor = (
  req: SlurmRunRequest,
): Effect.Effect<(runDir: string) => StageExecutor, UsageError> =>
  Effect.gen(function* () {
    yield* checkStageNames(req.plan, req.settings);
    yield* requireSlurm.pipe(Effect.mapError((e) => new UsageError({ reason: e.message })));
    const command = jobCommand(req.projectRoot, req.storeRoot);
    return (runDir: string) =>
      makeSlurmExecutor({
        storeRoot: req.storeRoot,
        runDir,
        spec: {
          experimentFile: resolve(req.experimentFile),
          profile: req.profile ?? null,
          overrides: [...req.overrides],
          backend: req.backend ?? null,
          projectRoot: req.projectRoot,
        },
        settings: req.settings,
        retries: req.retries ?? req.settings?.retries ?? 0,
        command,
        notify: (line) => console.error(`diffrun: ${line}`),
      });
  });
