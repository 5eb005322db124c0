/**
 * `diffrun exec <key>`: what a Slurm job runs on a worker. It reads the job spec the head wrote
 * into the store (`<store>/jobs/<key>/spec.json`), plans the same experiment (same file,
 * profile, `-p` overrides, backend), and runs exactly the node with that key: inputs are read
 * from the store, the artifact is committed to the store under the key's lock, as a local run
 * would. Exit 0 when the entry is stored (or already was), 1 when the stage failed.
 *
 * Also the `--executor` and `--retries` flags of `run` and `plan`, and their wiring.
 */
import * as Argument from "effect/cli/Argument";
import * as Command from "effect/cli/Command";
import * as Flag from "effect/cli/Flag";
import * as Effect from "effect/Effect";
import * as Option from "effect/Option";
import { cpus } from "node:os";
import { ExecError } from "../executor/errors.ts";
import { readSpec } from "../executor/jobRecords.ts";
import { chooseBackend } from "../engine/chooseBackend.ts";
import { formatSlurmPlan } from "../executor/planLines.ts";
import { chooseExecutor, jobCommand, slurmExecutor } from "../executor/setup.ts";
import { loadAndPlan } from "../core/runner.ts";
import type { Plan } from "../core/plan.ts";
import { RunEvents } from "../core/events.ts";
import { runPlan } from "../core/scheduler.ts";
import { Store } from "../store/Store.ts";
import * as opt from "./options.ts";
import * as proc from "../platform/process.ts";
import { writeStdout } from "../platform/terminal.ts";

export const executorFlag = Flag.Literals("executor", ["local", "slurm"]).pipe(
  Flag.withDescription(
    "where compute stages run: local (this process, the default) or slurm (one sbatch job each)",
  ),
  Flag.optional,
);

export const retriesFlag = Flag.Int("retries").pipe(
  Flag.withDescription("with --executor slurm: resubmit a failed job up to N times (default 0)"),
  Flag.optional,
);

const say = (text: string) => Effect.sync(() => writeStdout(text + "\n"));

/** What `run` passes on: `{}` for the local executor, the Slurm executor's factory otherwise. */
export const executorFor = (a: {
  readonly plan: Plan;
  readonly experiment: string;
  readonly profile: Option.Option<string>;
  readonly params: readonly string[];
  readonly backend: Option.Option<string>;
  readonly executor: Option.Option<"local" | "slurm">;
  readonly retries: Option.Option<number>;
  readonly storeRoot: string;
}) =>
  Effect.gen(function* () {
    const choice = yield* chooseExecutor(a.plan, opt.orUndefined(a.executor));
    if (choice.kind === "local") return {};
    const executor = yield* slurmExecutor({
      plan: a.plan,
      settings: choice.settings,
      experimentFile: a.experiment,
      profile: opt.orUndefined(a.profile),
      overrides: a.params,
      backend: opt.orUndefined(a.backend),
      projectRoot: opt.projectRoot(),
      storeRoot: a.storeRoot,
      retries: opt.orUndefined(a.retries),
    });
    return { executor };
  });

/** The sbatch lines `plan --executor slurm` adds to the text plan (empty for local). */
export const slurmPlanText = (
  plan: Plan,
  executor: Option.Option<"local" | "slurm">,
  hits: ReadonlySet<string>,
  storeRoot: string,
) =>
  Effect.gen(function* () {
    const choice = yield* chooseExecutor(plan, opt.orUndefined(executor));
    if (choice.kind === "local") return "";
    return formatSlurmPlan(plan, hits, choice.settings, jobCommand(opt.projectRoot(), storeRoot));
  });

const now = () => new Date().toISOString();

/** Log lines for the job's output file: stage starts, info lines, progress, the outcome. */
const jobLog = RunEvents.of({
  emit: (e) =>
    e.type === "info"
      ? say(`${now()} ${e.node.label}: ${e.message}`)
      : e.type === "started"
      ? say(`${now()} started ${e.node.label} (${e.node.key})`)
      : e.type === "progress" &&
          (e.done === e.total || e.done % Math.max(1, Math.ceil(e.total / 10)) === 0)
      ? say(`${now()} ${e.node.label}: ${e.done}/${e.total}`)
      : e.type === "finished"
      ? say(
        `${now()} ${e.node.label}: ${e.result.status}${
          e.result.error ? `: ${e.result.error}` : ""
        }`,
      )
      : Effect.void,
});

/** Runs one stage instance by its key; the exit code (0 stored, 1 failed). */
export const execKey = (key: string, storeRoot: string) =>
  Effect.gen(function* () {
    const spec = yield* Effect.promise(() => readSpec(storeRoot, key));
    const plan = yield* Effect.promise(() =>
      loadAndPlan({
        experimentFile: spec.experimentFile,
        profile: spec.profile ?? undefined,
        overrides: spec.overrides,
        backend: spec.backend ?? undefined,
        projectRoot: spec.projectRoot,
        // the run that wrote the spec already accepted the sweep's size (maybe with --max-arms)
        maxArms: Number.POSITIVE_INFINITY,
        resolveBackend: chooseBackend,
      })
    );
    const node = plan.nodes.get(key);
    if (node === undefined) {
      return yield* new ExecError({
        reason: `${spec.experimentFile} no longer plans a stage with key ${key} (${spec.label}): ` +
          `its code or params changed since the job was submitted; run the head command again`,
      });
    }
    const store = yield* Store;
    for (const [name, upstream] of Object.entries(node.inputs)) {
      if (Option.isNone(yield* store.lookup(upstream))) {
        return yield* new ExecError({
          reason: `input "${name}" of ${node.label} (${
            plan.nodes.get(upstream)?.label
          }, key ${upstream}) is not in the store ${storeRoot}; is the store shared with this host?`,
        });
      }
    }
    yield* say(`${now()} diffrun exec ${node.label} on ${proc.hostname()}, store ${storeRoot}`);
    const slurmCpus = Number(proc.envGet("SLURM_CPUS_PER_TASK"));
    const cores = Number.isInteger(slurmCpus) && slurmCpus > 0 ? slurmCpus : cpus().length;
    const outcome = yield* runPlan(plan, {
      jobs: 1,
      keepGoing: false,
      cores,
      backend: plan.experiment.backend,
      only: new Set([key]),
    }).pipe(Effect.provideService(RunEvents, jobLog));
    const result = outcome.results.get(key);
    return result?.status === "ran" || result?.status === "cached" ? 0 : 1;
  });

export const makeExecCommand = (setExitCode: (code: number) => void) =>
  Command.make(
    "exec",
    {
      key: Argument.String("key").pipe(Argument.withDescription("the stage instance's cache key")),
      store: opt.store,
    },
    (a) =>
      execKey(a.key, opt.storeRoot(a.store, opt.projectRoot())).pipe(
        Effect.provide(Store.layer(opt.storeRoot(a.store, opt.projectRoot()))),
        Effect.map(setExitCode),
      ),
  ).pipe(
    Command.withDescription(
      "run one stage instance by its key from the store's job spec (what a Slurm job runs)",
    ),
  );
