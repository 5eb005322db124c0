/**
 * The sbatch command line of one stage job, as an argv (what is run) and as a shell line (what
 * `diffrun plan --executor slurm` prints). Pure: no process is started here.
 *
 * A job runs `diffrun exec <key> --store <store>` on a worker, with the absolute path of this
 * Deno binary and the diffrun task's permissions, from the project root (so relative permission
 * paths mean the same there). The job is named after its key (`diffrun-<first 16 hex>`), so a
 * head that died between `sbatch` and writing its job record still finds it by name.
 */
import type { SlurmResources } from "./resources.ts";

export interface JobCommand {
  /** Absolute path of the runtime binary (deno or bun) that runs the head. */
  readonly deno: string;
  /** Permission flags of the diffrun task (`--allow-read=…`, …). */
  readonly permissions: readonly string[];
  /** Absolute path of `src/cli/main.ts`. */
  readonly main: string;
  readonly projectRoot: string;
  readonly storeRoot: string;
}

export interface SbatchRequest {
  readonly key: string;
  readonly label: string;
  readonly resources: SlurmResources;
  /** Slurm's `--output` pattern (`%j` is the job id). */
  readonly logPattern: string;
  readonly command: JobCommand;
}

export const jobName = (key: string) => `diffrun-${key.slice(0, 16)}`;

/** Quotes a word for a POSIX shell when it needs it. */
export const shellQuote = (word: string): string =>
  /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;

/** The command the job runs on the worker. */
export const workerArgv = (command: JobCommand, key: string): string[] => [
  command.deno,
  "run",
  ...command.permissions,
  command.main,
  "exec",
  key,
  "--store",
  command.storeRoot,
];

/** sbatch's arguments (without the program name), `--parsable` so stdout is the job id. */
export const sbatchArgs = (req: SbatchRequest): string[] => {
  const r = req.resources;
  return [
    "--parsable",
    `--job-name=${jobName(req.key)}`,
    `--output=${req.logPattern}`,
    `--chdir=${req.command.projectRoot}`,
    ...(r.partition === undefined ? [] : [`--partition=${r.partition}`]),
    ...(r.cpus === undefined ? [] : [`--cpus-per-task=${r.cpus}`]),
    ...(r.gpus === undefined || r.gpus === 0 ? [] : [`--gpus=${r.gpus}`]),
    ...(r.mem === undefined ? [] : [`--mem=${r.mem}`]),
    ...(r.time === undefined ? [] : [`--time=${r.time}`]),
    ...(r.sbatch ?? []),
    `--wrap=${workerArgv(req.command, req.key).map(shellQuote).join(" ")}`,
  ];
};

/** The line a user could paste into a shell to submit the job by hand. */
export const sbatchLine = (req: SbatchRequest): string =>
  ["sbatch", ...sbatchArgs(req)].map(shellQuote).join(" ");
