import assert from "node:assert/strict";
import {
  isActive,
  normaliseState,
  parseSacct,
  parseSbatch,
  parseScontrol,
  parseSqueue,
} from "../../src/executor/slurmParse.ts";

Deno.test("parseSqueue() reads id|state|reason lines, 'None' reason as null", () => {
  assert.deepEqual(
    parseSqueue("12|RUNNING|None\n13|PENDING|Resources\n14_2|FAILED|NonZeroExitCode\n"),
    [
      { jobId: "12", state: "RUNNING", reason: null, exitCode: null },
      { jobId: "13", state: "PENDING", reason: "Resources", exitCode: null },
      { jobId: "14_2", state: "FAILED", reason: "NonZeroExitCode", exitCode: null },
    ],
  );
  assert.deepEqual(parseSqueue("\n  \n"), []);
});

Deno.test("parseScontrol() reads JobId, JobState, Reason and ExitCode of `show job -o`", () => {
  const line =
    "JobId=7 JobName=diffrun-99e4 UserId=root(0) GroupId=root(0) Priority=1 JobState=FAILED " +
    "Reason=NonZeroExitCode Dependency=(null) ExitCode=1:0 RunTime=00:00:02 StdOut=/s/slurm-7.out";
  assert.deepEqual(parseScontrol(line + "\n"), [
    { jobId: "7", state: "FAILED", reason: "NonZeroExitCode", exitCode: "1:0" },
  ]);
  assert.deepEqual(parseScontrol("slurm_load_jobs error: Invalid job id specified\n"), []);
});

Deno.test("parseSacct() keeps job lines, drops .batch steps, reads 'CANCELLED by 0'", () => {
  assert.deepEqual(parseSacct("5|CANCELLED by 0|0:15\n5.batch|CANCELLED|0:15\n6|TIMEOUT|0:0\n"), [
    { jobId: "5", state: "CANCELLED", reason: null, exitCode: "0:15" },
    { jobId: "6", state: "TIMEOUT", reason: null, exitCode: "0:0" },
  ]);
});

Deno.test("parseSbatch() takes the id of --parsable output, with or without a cluster", () => {
  assert.deepEqual(parseSbatch("42\n"), "42");
  assert.deepEqual(parseSbatch("42;cluster1\n"), "42");
  assert.deepEqual(parseSbatch("sbatch: error: invalid partition\n"), null);
});

Deno.test("isActive() is true for queued and running states only", () => {
  for (const s of ["PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED"]) {
    assert.deepEqual(isActive(s), true, s);
  }
  for (const s of ["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "UNKNOWN"]) {
    assert.deepEqual(isActive(s), false, s);
  }
  assert.deepEqual(normaliseState(" cancelled+ "), "CANCELLED");
});
