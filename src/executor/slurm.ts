/**
 * The Slurm executor: each compute stage whose inputs are in the store becomes one sbatch job
 * that runs `diffrun exec <key>` on a worker; the head waits for the job and for the entry in the
 * shared store. Bookkeeping stages (no `compute`) run in the head (see the scheduler).
 *
 * Re-attaching: before submitting, the head reads the key's job record (`<store>/jobs/<key>/`)
 * and, failing that, asks squeue for a job named after the key. A job still queued or running is
 * waited for, not submitted again. A job that ended without committing its entry is reported
 * with its Slurm state, exit code and the tail of its log; `retries` resubmits it that often.
 *
 * The head polls the store (the entry's `meta.json` appears atomically when the worker commits)
 * and Slurm (one squeue call per poll for every job it waits for). Interrupting the head leaves
 * its jobs running: the same command later re-attaches to them.
 */
import * as Cause from "effect/Cause";
import * as Effect from "effect/Effect";
import * as Semaphore from "effect/Semaphore";
import { StageFailed } from "../core/errors.ts";
import type { PlanNode } from "../core/plan.ts";
import type { StageExecutor } from "../core/scheduler.ts";
import { createHash } from "node:crypto";
import { layout } from "../store/layout.ts";
import { withLock } from "../store/lock.ts";
import { type JobCommand, jobName, sbatchArgs } from "./sbatch.ts";
import { resourcesFor, type SlurmSettings } from "./resources.ts";
import { isActive, type JobStatus } from "./slurmParse.ts";
import { jobsNamed, jobStates, lookupEnded, sbatch } from "./slurmCli.ts";
import {
  appendJobEvent,
  type JobRecord,
  type JobSpec,
  logPath,
  logPattern,
  logTail,
  readJobRecord,
  writeJobRecord,
  writeSpec,
} from "./jobRecords.ts";
import * as fsys from "../platform/fs.ts";

export interface SlurmExecutorOptions {
  readonly storeRoot: string;
  /** The run directory of this head: `jobs.jsonl` goes there. */
  readonly runDir: string;
  /** What a worker needs to re-plan the experiment (the key and label are added per job). */
  readonly spec: Omit<JobSpec, "key" | "label">;
  readonly settings: SlurmSettings | undefined;
  readonly retries: number;
  readonly command: JobCommand;
  /** Lines the user must see even when stage logs are not shown (interrupts). */
  readonly notify?: (line: string) => void;
}

/** A compute stage runs as a job; bookkeeping stages stay in the head. */
export const runsAsJob = (node: PlanNode) => (node.def.resources?.compute ?? 0) > 0;

const now = () => new Date().toISOString();

/** The store lock under which a key's job is looked for and submitted (not the key's own lock). */
const submitLockKey = (key: string) =>
  createHash("sha256").update(`diffrun-slurm-submit:${key}`).digest("hex");
const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export const makeSlurmExecutor = (o: SlurmExecutorOptions): StageExecutor => {
  const pollMs = (o.settings?.pollSeconds ?? 5) * 1000;
  const store = layout(o.storeRoot);
  const watched = new Set<string>();
  const queryLock = Semaphore.makeUnsafe(1);
  let snapshot: { at: number; states: Map<string, JobStatus> } | null = null;

  /** A job's state, from one shared squeue call per poll interval for every watched job. */
  const stateOf = (jobId: string) =>
    queryLock.withPermits(1)(Effect.gen(function* () {
      watched.add(jobId);
      const fresh = snapshot !== null && Date.now() - snapshot.at < pollMs / 2;
      const known = snapshot?.states.get(jobId);
      if (fresh && known) return known;
      const states = yield* jobStates([...watched]);
      snapshot = { at: Date.now(), states };
      return states.get(jobId)!;
    }));

  const stored = (key: string) =>
    Effect.promise(() => fsys.stat(store.metaPath(key)).then(() => true, () => false));

  const event = (e: Parameters<typeof appendJobEvent>[1]) =>
    Effect.promise(() => appendJobEvent(o.runDir, e).catch(() => undefined));

  /** A job of this key that is still queued or running, from its record or by its name. */
  const findActive = (node: PlanNode, info: (m: string) => Effect.Effect<void>) =>
    Effect.gen(function* () {
      const record = yield* Effect.promise(() => readJobRecord(o.storeRoot, node.key));
      if (record !== null) {
        const status = yield* stateOf(record.jobId);
        if (isActive(status.state)) return { record, status };
        watched.delete(record.jobId);
        yield* info(
          `an earlier job of this stage, ${record.jobId}, ended ${status.state}; submitting a new one`,
        );
      }
      // a head that died between sbatch and writing the record: the job carries the key's name
      const named = (yield* jobsNamed(jobName(node.key))).filter((s) => isActive(s.state));
      const found = named[0];
      if (found === undefined) return null;
      const adopted: JobRecord = {
        key: node.key,
        label: node.label,
        jobId: found.jobId,
        log: logPath(o.storeRoot, node.key, found.jobId),
        submittedAt: record?.submittedAt ?? now(),
        runDir: o.runDir,
      };
      yield* Effect.promise(() => writeJobRecord(o.storeRoot, adopted));
      return { record: adopted, status: found };
    });

  const submit = (node: PlanNode, attempt: number) =>
    Effect.gen(function* () {
      yield* Effect.promise(() =>
        writeSpec(o.storeRoot, { ...o.spec, key: node.key, label: node.label })
      );
      const args = sbatchArgs({
        key: node.key,
        label: node.label,
        resources: resourcesFor(o.settings, { name: node.def.name, label: node.label }),
        logPattern: logPattern(o.storeRoot, node.key),
        command: o.command,
      });
      // sbatch and the record together: an interrupt in between would lose the job id
      return yield* Effect.uninterruptible(Effect.gen(function* () {
        const jobId = yield* sbatch(args);
        const record: JobRecord = {
          key: node.key,
          label: node.label,
          jobId,
          log: logPath(o.storeRoot, node.key, jobId),
          submittedAt: now(),
          runDir: o.runDir,
        };
        yield* Effect.promise(() => writeJobRecord(o.storeRoot, record));
        yield* event({
          event: "submitted",
          at: record.submittedAt,
          key: node.key,
          label: node.label,
          jobId,
          log: record.log,
          attempt,
        });
        return record;
      }));
    });

  /** Gives up asking Slurm after it failed to answer for this long in a row. */
  const patienceMs = Math.max(120_000, 20 * pollMs);

  /** Waits until the entry is stored ("stored") or the job ended without it (its status). */
  const watch = (job: JobRecord, info: (m: string) => Effect.Effect<void>) =>
    Effect.gen(function* () {
      let failingSince: number | null = null;
      for (;;) {
        if (yield* stored(job.key)) return "stored" as const;
        const asked = yield* Effect.result(stateOf(job.jobId));
        if (asked._tag === "Failure") {
          // a controller that does not answer says nothing about the job: ask again later
          if (failingSince === null) {
            failingSince = Date.now();
            yield* info(
              `cannot ask Slurm about job ${job.jobId}: ${asked.failure.message}; retrying`,
            );
          } else if (Date.now() - failingSince > patienceMs) {
            return yield* Effect.fail(asked.failure);
          }
          yield* Effect.sleep(pollMs);
          continue;
        }
        failingSince = null;
        const status = asked.success;
        if (!isActive(status.state)) {
          // the worker commits before its job ends: look once more before calling it a failure
          if (yield* stored(job.key)) return "stored" as const;
          // squeue does not tell the exit code; scontrol (or sacct) does
          if (status.exitCode !== null) return status;
          const ended = yield* lookupEnded(job.jobId);
          return ended.state === "UNKNOWN"
            ? status
            : { ...status, ...ended, reason: ended.reason ?? status.reason };
        }
        yield* Effect.sleep(pollMs);
      }
    }).pipe(Effect.ensuring(Effect.sync(() => watched.delete(job.jobId))));

  /**
   * Re-attaches to the key's active job or submits one, holding a per-key submission lock in the
   * store: a second head started at the same moment waits, then finds the first one's job.
   */
  const claim = (node: PlanNode, info: (m: string) => Effect.Effect<void>, attempt: number) =>
    withLock(store)(
      submitLockKey(node.key),
      Effect.gen(function* () {
        if (yield* stored(node.key)) return "stored" as const;
        const active = attempt === 0 ? yield* findActive(node, info) : null;
        if (active !== null) {
          yield* info(`re-attached to Slurm job ${active.record.jobId} (${active.status.state})`);
          yield* event({
            event: "reattached",
            at: now(),
            key: node.key,
            label: node.label,
            jobId: active.record.jobId,
            log: active.record.log,
            state: active.status.state,
          });
          return active.record;
        }
        const job = yield* submit(node, attempt);
        yield* info(`submitted Slurm job ${job.jobId} (log ${job.log})`);
        return job;
      }),
    );

  const runJob = (node: PlanNode, info: (m: string) => Effect.Effect<void>) =>
    Effect.gen(function* () {
      for (let attempt = 0;; attempt++) {
        const job = yield* claim(node, info, attempt);
        if (job === "stored") return {};
        const current: JobRecord = job;
        const end = yield* watch(current, info).pipe(
          Effect.onInterrupt(() => {
            const line =
              `${node.label}: Slurm job ${current.jobId} keeps running; run the same command again to re-attach, or scancel ${current.jobId}`;
            return info(line).pipe(Effect.andThen(Effect.sync(() => o.notify?.(line))));
          }),
        );
        if (end === "stored") return { slurmJob: current.jobId };
        yield* event({
          event: "ended",
          at: now(),
          key: node.key,
          label: node.label,
          jobId: current.jobId,
          log: current.log,
          state: end.state,
          exitCode: end.exitCode,
        });
        const what = `Slurm job ${current.jobId} ended ${end.state}${
          end.exitCode ? ` (exit code ${end.exitCode})` : ""
        }${end.reason ? `, reason ${end.reason}` : ""}${
          end.state === "COMPLETED" ? " without committing its entry to the store" : ""
        }`;
        if (attempt < o.retries) {
          yield* info(`${what}; resubmitting (retry ${attempt + 1} of ${o.retries})`);
          continue;
        }
        const tail = yield* Effect.promise(() => logTail(current.log));
        return yield* Effect.fail(
          `${what}; last lines of ${current.log}:\n${
            tail.split("\n").map((l) => `    ${l}`).join("\n")
          }`,
        );
      }
    });

  return {
    runsElsewhere: runsAsJob,
    run: (node, info) =>
      runJob(node, info).pipe(
        // a defect (an unwritable store…) fails the stage with its message, like a stage error
        Effect.catchCause((cause) => {
          if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>);
          const e = Cause.squash(cause);
          return Effect.fail(
            new StageFailed({
              stage: node.label,
              key: node.key,
              cause: typeof e === "string" ? e : errorText(e),
            }),
          );
        }),
      ),
  };
};
