/** Flags shared by several commands, and where the store and results live. */
import * as Effect from "effect/Effect";
import * as Flag from "effect/cli/Flag";
import * as Option from "effect/Option";
import { cpus } from "node:os";
import { dirname, resolve } from "node:path";
import { findProjectRoot, MAX_ARMS } from "../core/plan.ts";
import { replicatesOverride } from "../core/replicates.ts";
import { extendOverride } from "../core/halving.ts";
import { UsageError } from "../core/errors.ts";
import * as fsys from "../platform/fs.ts";
import * as proc from "../platform/process.ts";

export const profile = Flag.String("profile").pipe(
  Flag.withDescription("profile of the experiment file (e.g. smoke, quick, full)"),
  Flag.optional,
);
export const params = Flag.String("param").pipe(
  Flag.withAlias("p"),
  Flag.withDescription(
    "override a param: -p steps=100, a field of an object param: -p weighting.gamma=3; a list makes a sweep axis: -p 'target=[eps,x0]' (rules: docs/cli.md)",
  ),
  Flag.atLeast(0),
);
export const replicates = Flag.Int("replicates").pipe(
  Flag.withDescription(
    "run every arm with seeds 0..n-1 (overrides the experiment's `replicates`; docs/replicates.md)",
  ),
  Flag.optional,
);

/** The `-p` list with `--replicates n` added as the override the run records. */
export const withReplicates = (
  params: readonly string[],
  n: Option.Option<number>,
): readonly string[] => Option.isSome(n) ? [...params, replicatesOverride(n.value)] : params;

export const extend = Flag.String("extend").pipe(
  Flag.withDescription(
    "continue a sweep arm that successive halving stopped to the last rung, reusing its cached segments (repeatable; docs/halving.md)",
  ),
  Flag.atLeast(0),
);

/** The `-p` list with `--replicates n` and `--extend arm` added as the overrides the run records. */
export const withRunFlags = (
  params: readonly string[],
  n: Option.Option<number>,
  extendArms: readonly string[] = [],
): readonly string[] => [...withReplicates(params, n), ...extendArms.map(extendOverride)];

export const backend = Flag.String("backend").pipe(
  Flag.withDescription(
    "tensor backend: auto (default: webgpu on a hardware GPU, else ort), ort, cpu, webgpu, " +
      "tensorflow, tensorflow-gpu (fails unless a GPU runs it); also DIFFRUN_BACKEND",
  ),
  Flag.optional,
);
export const store = Flag.String("store").pipe(
  Flag.withDescription(
    "store directory (default: $DIFFRUN_STORE, else .diffrun/store in the project)",
  ),
  Flag.optional,
);
export const results = Flag.String("results").pipe(
  Flag.withDescription("results directory (default: results/ in the project)"),
  Flag.optional,
);
const atLeastOne = () =>
  Flag.filter((n: number) => n >= 1, (n: number) => `a whole number of at least 1 (got ${n})`);
export const jobs = Flag.Int("jobs").pipe(
  Flag.withAlias("j"),
  Flag.withDescription(
    "compute slots: stages doing tensor work that may run at once (default: 1; rerun: the original run's)",
  ),
  atLeastOne(),
  Flag.optional,
);
export const maxArms = Flag.Int("max-arms").pipe(
  Flag.withDescription(
    `refuse a sweep of more arms than this, before expanding it (default: ${MAX_ARMS})`,
  ),
  atLeastOne(),
  Flag.optional,
);

export const projectRoot = () => findProjectRoot(proc.cwd());

export const storeRoot = (flag: Option.Option<string>, root: string) =>
  Option.isSome(flag)
    ? resolve(flag.value)
    : proc.envGet("DIFFRUN_STORE")
    ? resolve(proc.envGet("DIFFRUN_STORE")!)
    : resolve(root, ".diffrun", "store");

export const resultsRoot = (flag: Option.Option<string>, root: string) =>
  Option.isSome(flag) ? resolve(flag.value) : resolve(root, "results");

export const cores = () => cpus().length;

export const orUndefined = <A>(
  o: Option.Option<A>,
): A | undefined => (Option.isSome(o) ? o.value : undefined);

/** The path's info; null when it does not exist; "sandbox" when Deno's permissions hide it. */
const statOrNull = (path: string): fsys.FileInfo | null | "sandbox" => {
  try {
    return fsys.statSync(path);
  } catch (e) {
    return fsys.isSandboxDenied(e) ? "sandbox" : null;
  }
};

const SANDBOX_HINT = "it is outside Deno's read/write permission. Choose a path under the " +
  "project or /tmp, or add it to the --allow-read and --allow-write lists of the `diffrun` " +
  "task in deno.json";

/** Mode bits say this process may create entries in the directory (root always may). */
const mayWrite = (info: fsys.FileInfo): boolean => {
  const uid = proc.uid();
  if (uid === null || uid === 0 || info.mode === null) return true;
  const bits = info.uid === uid ? 0o200 : info.gid === proc.gid() ? 0o020 : 0o002;
  return (info.mode & bits) !== 0;
};

/** Why `path` cannot be (or become) a directory this process writes into, or null. */
const dirProblem = (path: string): string | null => {
  const info = statOrNull(path);
  if (info === "sandbox") return `cannot use it: ${SANDBOX_HINT}`;
  if (info !== null) {
    if (!info.isDirectory) return "it exists and is not a directory";
    return mayWrite(info) ? null : "the directory is not writable";
  }
  let ancestor = dirname(path);
  while (statOrNull(ancestor) === null && dirname(ancestor) !== ancestor) {
    ancestor = dirname(ancestor);
  }
  const above = statOrNull(ancestor);
  if (above === "sandbox") return `cannot create it in ${ancestor}: ${SANDBOX_HINT}`;
  if (above === null) return `cannot create it: ${ancestor} does not exist`;
  if (!above.isDirectory) return `cannot create it: ${ancestor} is not a directory`;
  if (!mayWrite(above)) return `cannot create it: ${ancestor} is not writable`;
  // mode bits do not tell everything (root, read-only mounts, /proc): try, and leave nothing
  try {
    fsys.removeSync(fsys.makeTempDirSync({ dir: ancestor, prefix: ".diffrun-probe-" }));
    return null;
  } catch (e) {
    if (fsys.isSandboxDenied(e)) return `cannot create it in ${ancestor}: ${SANDBOX_HINT}`;
    return `cannot create it in ${ancestor}: ${e instanceof Error ? e.message : e}`;
  }
};

/**
 * The store and results directories a command writes to, checked before anything is written: a
 * file in the way, or a parent where the directory cannot be created, is a command-line error
 * (exit 2) naming the flag. Nothing is created here (missing directories are created when used).
 */
export const checkedRoots = (
  flags: { readonly store: Option.Option<string>; readonly results?: Option.Option<string> },
  root: string,
) =>
  Effect.gen(function* () {
    const storeDir = storeRoot(flags.store, root);
    const resultsDir = resultsRoot(flags.results ?? Option.none(), root);
    const dirs: [string, string][] = [[
      Option.isSome(flags.store)
        ? "--store"
        : proc.envGet("DIFFRUN_STORE")
        ? "$DIFFRUN_STORE"
        : "the store directory",
      storeDir,
    ]];
    if (flags.results !== undefined) {
      dirs.push([Option.isSome(flags.results) ? "--results" : "the results directory", resultsDir]);
    }
    for (const [name, dir] of dirs) {
      const problem = dirProblem(dir);
      if (problem !== null) return yield* new UsageError({ reason: `${name} ${dir}: ${problem}` });
    }
    return { storeRoot: storeDir, resultsRoot: resultsDir };
  });
