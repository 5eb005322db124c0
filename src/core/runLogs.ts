/**
 * The append-only files of a run directory (`logs/<label>.log`, `metrics.jsonl`), written in
 * batches.
 *
 * A run emits a few lines per stage; appending each line as it comes costs a file open per line,
 * which a 1,000-stage cached re-run notices (it was most of its time). Lines are kept in memory
 * and appended at most `flushEveryMs` after the first unwritten one (one append per file per
 * batch) and at `flush()`, so a killed run leaves every file complete up to its last batch, at
 * most `flushEveryMs` before the kill.
 *
 * The appends are synchronous on purpose: a batch is one short burst of small writes, and the
 * asynchronous calls cost several times more per file.
 */
import { join } from "node:path";
import * as fsys from "../platform/fs.ts";

/** Calls `flush` once after `ms`; returns a function that cancels the call. Injected by tests. */
export type FlushTimer = (flush: () => void, ms: number) => () => void;

const realTimer: FlushTimer = (flush, ms) => {
  const id = setTimeout(flush, ms);
  return () => clearTimeout(id);
};

export interface RunLogs {
  /** Queues one line (without its newline) for the file at `path`, relative to the run folder. */
  readonly add: (path: string, line: string) => void;
  /** Appends every queued line now; throws the first write error of this or an earlier batch. */
  readonly flush: () => void;
}

export const makeRunLogs = (
  runDir: string,
  options: { readonly flushEveryMs?: number; readonly timer?: FlushTimer } = {},
): RunLogs => {
  const flushEveryMs = options.flushEveryMs ?? 250;
  const timer = options.timer ?? realTimer;
  let pending = new Map<string, string[]>();
  let cancel: (() => void) | undefined;
  let failure: unknown;

  const write = () => {
    cancel?.();
    cancel = undefined;
    const batch = pending;
    pending = new Map();
    for (const [path, lines] of batch) {
      try {
        fsys.writeTextFileSync(join(runDir, path), lines.join("\n") + "\n", { append: true });
      } catch (e) {
        failure ??= e;
      }
    }
  };

  return {
    add: (path, line) => {
      const lines = pending.get(path);
      if (lines) lines.push(line);
      else pending.set(path, [line]);
      cancel ??= timer(write, flushEveryMs);
    },
    flush: () => {
      write();
      if (failure !== undefined) throw failure;
    },
  };
};
