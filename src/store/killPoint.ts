/**
 * Fixed points where a test can have the process kill itself with SIGKILL, to check what a crash
 * at that moment leaves behind (tests/reliability/). Honoured only when the environment variable
 * `DIFFRUN_TEST_KILL_AT` names the phase; otherwise a no-op that reads the environment once.
 *
 * Phases: `planning` (the run folder exists, nothing ran), `mid-stage` (a stage's work is done,
 * its lock and scratch folder held, nothing committed), `committing` (an entry's staging folder
 * is complete with its `meta.json`, not yet renamed into place), `run-folder` (artifacts linked
 * into the run folder, its manifest not yet final), `rung` (successive halving's first rung is
 * decided and recorded, the next not started).
 */
import * as proc from "../platform/process.ts";
export type KillPhase = "planning" | "mid-stage" | "committing" | "run-folder" | "rung";

let wanted: string | undefined | null = null;

export const killPoint = (phase: KillPhase): void => {
  if (wanted === null) {
    try {
      wanted = proc.envGet("DIFFRUN_TEST_KILL_AT");
    } catch {
      wanted = undefined; // no --allow-env: never a test run
    }
  }
  if (wanted === phase) proc.killSelf();
};
