/**
 * Parsing what squeue, scontrol and sacct print about jobs. Pure functions over text, so they
 * are tested without a cluster.
 */

/** Slurm's job states (`squeue %T`, `scontrol JobState`, `sacct State`), plus our `UNKNOWN`. */
export type JobState = string;

export interface JobStatus {
  readonly jobId: string;
  readonly state: JobState;
  /** Why it is pending or why it ended (`NonZeroExitCode`, `TimeLimit`…), when told. */
  readonly reason: string | null;
  /** `exit:signal`, when told (scontrol, sacct). */
  readonly exitCode: string | null;
}

/** States in which a job may still run: the head waits (re-attaches) rather than resubmits. */
const ACTIVE = new Set([
  "PENDING",
  "CONFIGURING",
  "RUNNING",
  "COMPLETING",
  "SUSPENDED",
  "REQUEUED",
  "REQUEUE_FED",
  "REQUEUE_HOLD",
  "RESIZING",
  "SIGNALING",
  "STAGE_OUT",
  "STOPPED",
  "RESV_DEL_HOLD",
]);

/** sacct writes `CANCELLED by 0`; squeue and scontrol write `CANCELLED`. */
export const normaliseState = (raw: string): JobState =>
  raw.trim().split(/\s+/)[0]!.replace(/\+$/, "").toUpperCase() || "UNKNOWN";

export const isActive = (state: JobState): boolean => ACTIVE.has(state);

/** `squeue -h -o '%i|%T|%r'` lines. Array tasks (`12_3`) keep their full id. */
export const parseSqueue = (text: string): JobStatus[] =>
  text.split("\n").map((l) => l.trim()).filter(Boolean).flatMap((line) => {
    const [jobId, state, reason] = line.split("|");
    if (!jobId || !state) return [];
    return [{
      jobId,
      state: normaliseState(state),
      reason: reason && reason !== "None" ? reason : null,
      exitCode: null,
    }];
  });

/** `scontrol show job -o <id>`: one line of `Key=Value` pairs per job. */
export const parseScontrol = (text: string): JobStatus[] =>
  text.split("\n").map((l) => l.trim()).filter((l) => l.startsWith("JobId=")).map((line) => {
    const field = (name: string): string | null => {
      const m = line.match(new RegExp(`(?:^|\\s)${name}=(\\S*)`));
      return m ? m[1]! : null;
    };
    const reason = field("Reason");
    return {
      jobId: field("JobId")!,
      state: normaliseState(field("JobState") ?? "UNKNOWN"),
      reason: reason && reason !== "None" ? reason : null,
      exitCode: field("ExitCode"),
    };
  });

/**
 * `sacct -n -P -X -o JobID,State,ExitCode -j <id>`: `|`-separated, one line per job (`-X`
 * leaves out the `.batch` steps).
 */
export const parseSacct = (text: string): JobStatus[] =>
  text.split("\n").map((l) => l.trim()).filter(Boolean).flatMap((line) => {
    const [jobId, state, exitCode] = line.split("|");
    if (!jobId || !state || jobId.includes(".")) return [];
    return [{ jobId, state: normaliseState(state), reason: null, exitCode: exitCode ?? null }];
  });

/** `sbatch --parsable` prints `<id>` or `<id>;<cluster>`. */
export const parseSbatch = (text: string): string | null => {
  const m = text.trim().match(/^(\d+)(;\S+)?$/m);
  return m ? m[1]! : null;
};
