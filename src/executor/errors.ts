/** The executor's errors, as tagged types whose messages are built from their fields. */
import * as Data from "effect/Data";

/** `--executor slurm` on a machine without Slurm's client commands (or without permission). */
export class SlurmUnavailable extends Data.TaggedError("SlurmUnavailable")<{
  readonly command: string;
  readonly reason: string;
}> {
  override get message(): string {
    return `--executor slurm: ${this.command} ${this.reason}; install Slurm's client commands ` +
      `(or load the cluster's module), or run with --executor local`;
  }
}

/** A Slurm command ran and failed (sbatch refused a job, squeue could not reach slurmctld…). */
export class SlurmCommandFailed extends Data.TaggedError("SlurmCommandFailed")<{
  readonly command: string;
  readonly exitCode: number;
  readonly stderr: string;
}> {
  override get message(): string {
    return `${this.command} failed (exit ${this.exitCode}): ${this.stderr.trim() || "no message"}`;
  }
}

/** `diffrun exec` cannot run the key it was given. */
export class ExecError extends Data.TaggedError("ExecError")<{ readonly reason: string }> {
  override get message(): string {
    return this.reason;
  }
}
