/**
 * The `diffrun` command line: run, plan, explain, rerun, ls, show, compare, gc, verify, report,
 * serve.
 *
 * Exit codes: 0 success, 1 a stage failed or the run was interrupted, 2 the experiment or the
 * command line is invalid (nothing ran, the store was not touched).
 */
import * as Argument from "effect/cli/Argument";
import * as Command from "effect/cli/Command";
import * as Flag from "effect/cli/Flag";
import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import * as Cause from "effect/Cause";
import * as Fiber from "effect/Fiber";
import * as Option from "effect/Option";
import { resolve } from "node:path";
import { Store } from "../store/Store.ts";
import { loadAndPlan, runPlanned, type RunRequest } from "../core/runner.ts";
import { htmlRunReport } from "../report/runReport.ts";
import type { Plan } from "../core/plan.ts";
import { listRunDirs, readManifest } from "../core/runDir.ts";
import { compareRuns, explainStage, formatPlan, lastRun, listRuns, showRun } from "./inspect.ts";
import * as opt from "./options.ts";
import { chooseBackend } from "../engine/chooseBackend.ts";
import { cliLayer } from "./platform.ts";
import { compareHtmlFlag, reportCommand, serveCommand, writeCompareHtml } from "./serve.ts";
import { executorFlag, executorFor, makeExecCommand, retriesFlag, slurmPlanText } from "./exec.ts";
import { makeVerifyCommand } from "./verify.ts";
import { planExamples, runExamples } from "./examples.ts";
import * as proc from "../platform/process.ts";
import { stdoutIsTerminal, writeStdout } from "../platform/terminal.ts";
import { onInterrupt } from "../platform/signals.ts";
import { prepareFfi } from "../platform/ffi.ts";

const out = (text: string) =>
  Effect.sync(() => writeStdout(text.endsWith("\n") ? text : text + "\n"));

/** Sets the process exit code a command reports (main() exits with it). */
let exitCode = 0;

const experimentArg = Argument.String("experiment").pipe(
  Argument.withDescription("experiment file, e.g. experiments/quickstart.ts"),
);

const planned = (
  file: string,
  profile: Option.Option<string>,
  params: readonly string[],
  backend: Option.Option<string>,
  maxArms: Option.Option<number> = Option.none(),
) =>
  Effect.promise(() =>
    loadAndPlan({
      experimentFile: file,
      profile: opt.orUndefined(profile),
      overrides: params,
      backend: opt.orUndefined(backend),
      projectRoot: opt.projectRoot(),
      maxArms: opt.orUndefined(maxArms),
      resolveBackend: chooseBackend,
    })
  );

/** Runs a plan against the store at `storeRoot`; a failed or interrupted run sets exit code 1. */
const execute = (
  plan: Plan,
  storeRoot: string,
  request: Omit<RunRequest, "cores" | "projectRoot" | "argv" | "write" | "tty">,
) =>
  Effect.gen(function* () {
    const store = yield* Store;
    const outcome = yield* runPlanned(plan, {
      ...request,
      cores: opt.cores(),
      projectRoot: opt.projectRoot(),
      argv: proc.args(),
      write: (t) => writeStdout(t),
      tty: stdoutIsTerminal(),
      report: htmlRunReport,
    }, store);
    if (outcome.status !== "succeeded") exitCode = 1;
  }).pipe(Effect.provide(Store.layer(storeRoot)));

const runCommand = Command.make(
  "run",
  {
    experiment: experimentArg,
    profile: opt.profile,
    params: opt.params,
    replicates: opt.replicates,
    extend: opt.extend,
    backend: opt.backend,
    jobs: opt.jobs,
    keepGoing: Flag.Boolean("keep-going").pipe(
      Flag.withDescription("after a failure, finish every independent branch"),
      Flag.withDefault(false),
    ),
    store: opt.store,
    results: opt.results,
    executor: executorFlag,
    retries: retriesFlag,
    maxArms: opt.maxArms,
  },
  (args) =>
    Effect.gen(function* () {
      const a = { ...args, params: opt.withRunFlags(args.params, args.replicates, args.extend) };
      const root = opt.projectRoot();
      const plan = yield* planned(a.experiment, a.profile, a.params, a.backend, a.maxArms);
      const { storeRoot, resultsRoot } = yield* opt.checkedRoots(a, root);
      const executor = yield* executorFor({ ...a, plan, storeRoot });
      yield* execute(plan, storeRoot, {
        ...executor,
        experimentFile: a.experiment,
        profile: opt.orUndefined(a.profile),
        overrides: a.params,
        backend: opt.orUndefined(a.backend),
        jobs: opt.orUndefined(a.jobs) ?? 1,
        keepGoing: a.keepGoing,
        resultsRoot,
      });
    }),
).pipe(
  Command.withDescription("run an experiment (every arm of its sweep), reusing cached stages"),
  Command.withExamples(runExamples),
);

const planCommand = Command.make(
  "plan",
  {
    experiment: experimentArg,
    profile: opt.profile,
    params: opt.params,
    replicates: opt.replicates,
    extend: opt.extend,
    backend: opt.backend,
    store: opt.store,
    format: Flag.Literals("format", ["text", "mermaid", "dot", "json"]).pipe(
      Flag.withDescription("text (default), the graph as mermaid or dot, or everything as json"),
      Flag.withDefault("text"),
    ),
    executor: executorFlag,
    maxArms: opt.maxArms,
  },
  (args) =>
    Effect.gen(function* () {
      const a = { ...args, params: opt.withRunFlags(args.params, args.replicates, args.extend) };
      const plan = yield* planned(a.experiment, a.profile, a.params, a.backend, a.maxArms);
      yield* opt.checkedRoots({ store: a.store }, opt.projectRoot());
      const hits = yield* Effect.gen(function* () {
        const store = yield* Store;
        const found = new Set<string>();
        for (const key of plan.nodes.keys()) {
          if (Option.isSome(yield* store.lookup(key))) found.add(key);
        }
        return found;
      }).pipe(Effect.provide(Store.layer(opt.storeRoot(a.store, opt.projectRoot()))));
      yield* out(formatPlan(plan, hits, a.format));
      if (a.format === "text") {
        const storeRoot = opt.storeRoot(a.store, opt.projectRoot());
        const jobs = yield* slurmPlanText(plan, a.executor, hits, storeRoot);
        if (jobs) yield* out(jobs);
      }
    }),
).pipe(
  Command.withDescription(
    "show the stage graph with cache hits and misses, without running anything",
  ),
  Command.withExamples(planExamples),
);

const explainCommand = Command.make(
  "explain",
  {
    experiment: experimentArg,
    stage: Argument.String("stage").pipe(
      Argument.withDescription("stage label or name (see `diffrun plan`)"),
    ),
    profile: opt.profile,
    params: opt.params,
    replicates: opt.replicates,
    backend: opt.backend,
    results: opt.results,
  },
  (args) =>
    Effect.gen(function* () {
      const a = { ...args, params: opt.withReplicates(args.params, args.replicates) };
      const plan = yield* planned(a.experiment, a.profile, a.params, a.backend);
      const previous = yield* Effect.promise(() =>
        lastRun(opt.resultsRoot(a.results, opt.projectRoot()), plan.experiment.name)
      );
      if (previous === null) {
        yield* out(`no earlier run of "${plan.experiment.name}" to compare with`);
        return;
      }
      yield* out(explainStage(plan, previous.manifest, a.stage));
    }),
).pipe(
  Command.withDescription("say which ingredient of a stage's cache key changed since the last run"),
);

const rerunCommand = Command.make(
  "rerun",
  {
    run: Argument.String("run-dir"),
    store: opt.store,
    results: opt.results,
    jobs: opt.jobs,
    executor: executorFlag,
    retries: retriesFlag,
    maxArms: opt.maxArms,
  },
  (a) =>
    Effect.gen(function* () {
      const root = opt.projectRoot();
      const m = yield* Effect.promise(() => readManifest(resolve(a.run)));
      const c = m.command;
      const plan = yield* Effect.promise(() =>
        loadAndPlan({
          experimentFile: resolve(root, c.experimentFile),
          profile: c.profile ?? undefined,
          overrides: c.overrides,
          backend: c.backend,
          projectRoot: root,
          maxArms: opt.orUndefined(a.maxArms),
        })
      );
      const before = new Map(m.stages.map((s) => [s.label, s.key]));
      // with halving, the cross-arm stages are recorded at run time over the arms that reached
      // the last rung: they are compared when the run gets there, not here
      const changed = [...plan.nodes.values()].filter((n) =>
        !(plan.halving !== null && n.aggregate) && before.get(n.label) !== n.key
      );
      yield* out(
        changed.length === 0
          ? `rerun of ${m.runId}: every stage key matches the original run`
          : `rerun of ${m.runId}: ${changed.length} stage key(s) differ from the original run (code or params changed); see \`diffrun explain\``,
      );
      const { storeRoot, resultsRoot } = yield* opt.checkedRoots(a, root);
      const executor = yield* executorFor({
        ...a,
        plan,
        experiment: resolve(root, c.experimentFile),
        profile: Option.fromNullishOr(c.profile),
        params: c.overrides,
        backend: Option.some(c.backend),
        storeRoot,
      });
      yield* execute(plan, storeRoot, {
        ...executor,
        experimentFile: c.experimentFile,
        profile: c.profile ?? undefined,
        overrides: c.overrides,
        backend: c.backend,
        jobs: opt.orUndefined(a.jobs) ?? c.jobs,
        keepGoing: c.keepGoing,
        resultsRoot,
      });
    }),
).pipe(Command.withDescription("run again what a run directory's manifest describes"));

const lsCommand = Command.make(
  "ls",
  { results: opt.results },
  (a) =>
    Effect.promise(() => listRuns(opt.resultsRoot(a.results, opt.projectRoot()))).pipe(
      Effect.flatMap(out),
    ),
).pipe(Command.withDescription("list run directories, newest first"));

const showCommand = Command.make(
  "show",
  { run: Argument.String("run-dir") },
  (a) => Effect.promise(() => showRun(resolve(a.run))).pipe(Effect.flatMap(out)),
).pipe(Command.withDescription("show a run's manifest essentials and summary"));

const compareCommand = Command.make(
  "compare",
  { runs: Argument.String("run-dir").pipe(Argument.atLeast(1)), html: compareHtmlFlag },
  (a) =>
    Effect.promise(() => compareRuns(a.runs.map((r) => resolve(r)))).pipe(
      Effect.flatMap(out),
      Effect.andThen(writeCompareHtml(a.runs, a.html)),
    ),
).pipe(Command.withDescription("table of params and metrics of several runs, differences marked"));

const gcCommand = Command.make(
  "gc",
  {
    dryRun: Flag.Boolean("dry-run").pipe(
      Flag.withDescription("report what would be removed"),
      Flag.withDefault(false),
    ),
    store: opt.store,
    results: opt.results,
  },
  (a) =>
    Effect.gen(function* () {
      const root = opt.projectRoot();
      const referenced = new Set<string>();
      for (
        const dir of yield* Effect.promise(() => listRunDirs(opt.resultsRoot(a.results, root)))
      ) {
        const m = yield* Effect.promise(() => readManifest(dir).catch(() => null));
        for (const s of m?.stages ?? []) referenced.add(s.key);
      }
      const report = yield* Effect.gen(function* () {
        const store = yield* Store;
        return yield* store.gc({ referenced, dryRun: a.dryRun });
      }).pipe(Effect.provide(Store.layer(opt.storeRoot(a.store, root))));
      const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
      yield* out(
        `${a.dryRun ? "would remove" : "removed"} ${report.removed.length} entr${
          report.removed.length === 1 ? "y" : "ies"
        } (${mb(report.freedBytes)}); kept ${report.keptCount} referenced by run directories`,
      );
    }),
).pipe(Command.withDescription("remove store entries that no run directory references"));

export const diffrun = Command.make("diffrun").pipe(
  Command.withDescription(
    "diffrun: typed pipelines, cached stages and reproducible runs for diffusion research",
  ),
  Command.withSubcommands([
    runCommand,
    planCommand,
    explainCommand,
    rerunCommand,
    lsCommand,
    showCommand,
    compareCommand,
    gcCommand,
    reportCommand,
    serveCommand,
    makeExecCommand((code) => void (exitCode = code)),
    makeVerifyCommand((code) => void (exitCode = code)),
  ]),
);

/** Prints an expected error (invalid experiment, bad input) without a stack trace. */
const report = (cause: Cause.Cause<unknown>) => {
  const error = Cause.squash(cause);
  const tagged = error as { _tag?: string; message?: string };
  const known =
    ["PlanError", "InvalidFile", "UsageError", "CodecError"].includes(tagged._tag ?? "") ||
    tagged._tag === undefined && error instanceof Error && error.name === "InvalidFile";
  console.error(`diffrun: ${tagged.message ?? String(error)}`);
  if (!known && error instanceof Error && error.stack && proc.envGet("DIFFRUN_DEBUG")) {
    console.error(error.stack);
  }
  return tagged._tag === "PlanError" || tagged._tag === "InvalidFile" ||
      tagged._tag === "UsageError"
    ? 2
    : 1;
};

export const main = async (args: readonly string[]) => {
  await prepareFfi();
  const program = Command.runWith(diffrun, { version: "0.1.0" })(args).pipe(
    Effect.provide(cliLayer(args)),
  );
  const fiber = Effect.runFork(program);
  const onSignal = () => {
    console.error("\ndiffrun: interrupted; cleaning up (press Ctrl-C again to abort at once)");
    stopListening();
    Effect.runFork(Fiber.interrupt(fiber));
  };
  const stopListening = onInterrupt(onSignal);
  const exit = await Effect.runPromise(Fiber.await(fiber));
  stopListening();
  if (Exit.isFailure(exit)) {
    if (Cause.hasInterruptsOnly(exit.cause)) return 130;
    const error = Cause.squash(exit.cause) as { _tag?: string };
    if (error?._tag === "ShowHelp") return 2;
    return report(exit.cause);
  }
  return exitCode;
};

if (import.meta.main) proc.exit(await main(proc.args()));
