/**
 * Thin wrappers over Slurm's client commands (sbatch, squeue, scontrol, sacct, scancel). Each
 * runs the program with its arguments and returns stdout; a missing program or a missing
 * `--allow-run` permission is `SlurmUnavailable`, a non-zero exit `SlurmCommandFailed`.
 */
import * as Effect from "effect/Effect";
import { SlurmCommandFailed, SlurmUnavailable } from "./errors.ts";
import {
  type JobStatus,
  parseSacct,
  parseSbatch,
  parseScontrol,
  parseSqueue,
} from "./slurmParse.ts";
import * as fsys from "../platform/fs.ts";
import { runCommand } from "../platform/spawn.ts";
import * as proc from "../platform/process.ts";

export const SLURM_COMMANDS = ["sbatch", "squeue", "scontrol", "sacct", "scancel"] as const;
export type SlurmCommand = (typeof SLURM_COMMANDS)[number];

/**
 * Fails with a clear message unless sbatch can be run (`sbatch --version`: no file system
 * permission is needed to find it on PATH, only the run permission).
 */
export const requireSlurm: Effect.Effect<void, SlurmUnavailable> = Effect.suspend(() =>
  runSlurm("sbatch", ["--version"]).pipe(
    Effect.asVoid,
    Effect.catchTag("SlurmCommandFailed", () => Effect.void),
    Effect.mapError((e) =>
      e.reason === "was not found on PATH"
        ? new SlurmUnavailable({
          command: "sbatch",
          reason: `was not found on PATH (${proc.envGet("PATH") ?? ""})`,
        })
        : e
    ),
  )
);

export const runSlurm = (
  command: SlurmCommand,
  args: readonly string[],
): Effect.Effect<string, SlurmUnavailable | SlurmCommandFailed> =>
  Effect.tryPromise({
    try: () => runCommand(command, { args }),
    catch: (e) =>
      new SlurmUnavailable({
        command,
        reason: fsys.isNotFound(e)
          ? "was not found on PATH"
          : fsys.isSandboxDenied(e) || fsys.isPermissionDenied(e)
          ? `may not be run (add it to --allow-run: ${(e as Error).message})`
          : `could not be started: ${e instanceof Error ? e.message : e}`,
      }),
  }).pipe(
    Effect.flatMap((out) => {
      const stdout = new TextDecoder().decode(out.stdout);
      return out.code === 0 ? Effect.succeed(stdout) : Effect.fail(
        new SlurmCommandFailed({
          command: `${command} ${args.join(" ")}`.slice(0, 300),
          exitCode: out.code,
          stderr: new TextDecoder().decode(out.stderr) || stdout,
        }),
      );
    }),
  );

/** Submits a job; its id. */
export const sbatch = (args: readonly string[]) =>
  runSlurm("sbatch", args).pipe(
    Effect.flatMap((out) => {
      const id = parseSbatch(out);
      return id === null
        ? Effect.fail(
          new SlurmCommandFailed({
            command: "sbatch",
            exitCode: 0,
            stderr: `no job id in "${out}"`,
          }),
        )
        : Effect.succeed(id);
    }),
  );

const SQUEUE_FORMAT = "%i|%T|%r";

/**
 * "Invalid job id" means the controller has forgotten the job (it ended a while ago): an empty
 * answer. Any other failure (slurmctld unreachable…) is passed on: a job must never be taken
 * for dead, and resubmitted, because the controller did not answer.
 */
const forgottenJob = (e: SlurmCommandFailed) =>
  /invalid job id/i.test(e.stderr) ? Effect.succeed([] as JobStatus[]) : Effect.fail(e);

/**
 * States of the given jobs: squeue first (it also lists jobs that ended recently with
 * `--states=all`), then scontrol and sacct for the ones it no longer knows. A job nobody knows
 * any more is `UNKNOWN`.
 */
export const jobStates = (
  ids: readonly string[],
): Effect.Effect<Map<string, JobStatus>, SlurmUnavailable | SlurmCommandFailed> =>
  Effect.gen(function* () {
    const found = new Map<string, JobStatus>();
    if (ids.length === 0) return found;
    // squeue fails as a whole when one id is no longer known; then each is asked on its own
    const listed = yield* runSlurm("squeue", [
      "-h",
      "--states=all",
      "-o",
      SQUEUE_FORMAT,
      "-j",
      ids.join(","),
    ]).pipe(
      Effect.map(parseSqueue),
      Effect.catchTag("SlurmCommandFailed", forgottenJob),
    );
    for (const s of listed) found.set(s.jobId, s);
    for (const id of ids.filter((id) => !found.has(id))) {
      found.set(id, yield* lookupEnded(id));
    }
    return found;
  });

/** scontrol (recently ended jobs, with exit code), else sacct (accounting), else UNKNOWN. */
export const lookupEnded = (id: string) =>
  Effect.gen(function* () {
    const fromScontrol = yield* runSlurm("scontrol", ["show", "job", "-o", id]).pipe(
      Effect.map(parseScontrol),
      Effect.catchTag("SlurmCommandFailed", forgottenJob),
    );
    const hit = fromScontrol.find((s) => s.jobId === id);
    if (hit) return hit;
    const fromSacct = yield* runSlurm("sacct", [
      "-n",
      "-P",
      "-X",
      "-o",
      "JobID,State,ExitCode",
      "-j",
      id,
    ]).pipe(
      Effect.map(parseSacct),
      Effect.catchTag("SlurmCommandFailed", () => Effect.succeed([] as JobStatus[])),
      Effect.catchTag("SlurmUnavailable", () => Effect.succeed([] as JobStatus[])),
    );
    return fromSacct.find((s) => s.jobId === id) ??
      { jobId: id, state: "UNKNOWN", reason: "no longer known to Slurm", exitCode: null };
  });

/** Active jobs named `name` (finds a job whose id was never recorded). */
export const jobsNamed = (name: string) =>
  runSlurm("squeue", ["-h", "-o", SQUEUE_FORMAT, `--name=${name}`]).pipe(Effect.map(parseSqueue));
