/**
 * The runner's errors: a closed union of tagged types whose messages are built from their fields.
 *
 * Plan-time errors (`PlanError`) carry every problem found, each naming the file, the stage and
 * the field, so a user fixes them all in one go. Run-time errors name the stage and its key.
 */
import * as Data from "effect/Data";

/** One problem found while loading or planning an experiment. */
export interface PlanIssue {
  /** The experiment or pipeline file. */
  readonly file: string;
  /** Where in the file: `params`, `sweep`, `profiles.smoke`, a stage name, an arm id… */
  readonly where: string;
  /** The offending field as a dotted path, when there is one. */
  readonly field?: string;
  readonly message: string;
}

export const formatIssue = (issue: PlanIssue): string =>
  `${issue.file}: ${issue.where}${
    issue.field === undefined ? "" : ` (field "${issue.field}")`
  }: ${issue.message}`;

/** The experiment cannot be planned; nothing has run and the store was not touched. */
export class PlanError
  extends Data.TaggedError("PlanError")<{ readonly issues: readonly PlanIssue[] }> {
  override get message(): string {
    const n = this.issues.length;
    return `the experiment cannot be planned (${n} problem${n === 1 ? "" : "s"}):\n` +
      this.issues.map((i) => `  - ${formatIssue(i)}`).join("\n");
  }
}

/** A stage's `run` failed (its own error or a defect), or its output could not be encoded. */
export class StageFailed extends Data.TaggedError("StageFailed")<{
  readonly stage: string;
  readonly key: string;
  readonly cause: unknown;
}> {
  override get message(): string {
    const cause = this.cause instanceof Error ? this.cause.message : String(this.cause);
    return `stage "${this.stage}" (${this.key.slice(0, 12)}) failed: ${cause}`;
  }
}

/** A stage could not run because an upstream stage failed (only with --keep-going). */
export class UpstreamFailed extends Data.TaggedError("UpstreamFailed")<{
  readonly stage: string;
  readonly upstream: string;
}> {
  override get message(): string {
    return `stage "${this.stage}" skipped: its input "${this.upstream}" failed`;
  }
}

/** A file the runner reads back (manifest, run directory, experiment module) is invalid. */
export class InvalidFile extends Data.TaggedError("InvalidFile")<{
  readonly path: string;
  readonly reason: string;
}> {
  override get message(): string {
    return `${this.path}: ${this.reason}`;
  }
}

/** Command-line input that cannot be used. */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly reason: string }> {
  override get message(): string {
    return this.reason;
  }
}
