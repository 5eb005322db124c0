/**
 * Progress display: live bars with ETA on a terminal, plain periodic lines elsewhere (CI, logs).
 *
 * Fed with scheduler events. On a TTY the active stages are redrawn in place at most ten times
 * a second; otherwise a stage prints when it starts and finishes, and its progress at most once
 * every `plainIntervalMs`.
 */
import type { RunEvent } from "./events.ts";

interface Active {
  readonly label: string;
  readonly startedAt: number;
  done: number;
  total: number;
  lastPrinted: number;
}

const formatSeconds = (s: number) =>
  !Number.isFinite(s)
    ? "?"
    : s < 60
    ? `${s.toFixed(0)}s`
    : s < 3600
    ? `${Math.floor(s / 60)}m${Math.round(s % 60).toString().padStart(2, "0")}s`
    : `${(s / 3600).toFixed(1)}h`;

const bar = (fraction: number, width: number) => {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return "█".repeat(filled) + "░".repeat(width - filled);
};

export interface ProgressOptions {
  readonly tty: boolean;
  readonly write: (text: string) => void;
  readonly plainIntervalMs?: number;
  readonly now?: () => number;
}

export const makeProgress = (options: ProgressOptions) => {
  const now = options.now ?? (() => performance.now());
  const interval = options.plainIntervalMs ?? 10_000;
  const active = new Map<string, Active>();
  let drawnLines = 0;
  let lastDraw = 0;
  /**
   * Final status per stage key: a stage can finish twice (counted cached, then recomputed when a
   * downstream stage finds its entry corrupt), and the last word counts.
   */
  const statusOf = new Map<string, "ran" | "cached" | "failed" | "skipped">();

  const eta = (a: Active) => {
    const elapsed = (now() - a.startedAt) / 1000;
    return a.done > 0 ? (elapsed / a.done) * (a.total - a.done) : Infinity;
  };
  const line = (a: Active) => {
    const f = a.total > 0 ? a.done / a.total : 0;
    return `${a.label.slice(0, 40).padEnd(40)} ${bar(f, 24)} ${
      String(a.done).padStart(6)
    }/${a.total} ETA ${formatSeconds(eta(a))}`;
  };
  const redraw = (force: boolean) => {
    if (!options.tty) return;
    if (!force && now() - lastDraw < 100) return;
    lastDraw = now();
    let out = drawnLines > 0 ? `\x1b[${drawnLines}A\x1b[J` : "";
    const rows = [...active.values()].map(line);
    out += rows.map((r) => r + "\n").join("");
    drawnLines = rows.length;
    options.write(out);
  };
  /** Prints a permanent line above the live block. */
  const print = (text: string) => {
    if (options.tty && drawnLines > 0) {
      options.write(`\x1b[${drawnLines}A\x1b[J`);
      drawnLines = 0;
    }
    options.write(text + "\n");
    redraw(true);
  };

  const onEvent = (e: RunEvent) => {
    switch (e.type) {
      case "started":
        active.set(e.node.key, {
          label: e.node.label,
          startedAt: now(),
          done: 0,
          total: 0,
          lastPrinted: now(),
        });
        print(`▶ ${e.node.label}`);
        break;
      case "progress": {
        const a = active.get(e.node.key);
        if (!a) break;
        a.done = e.done;
        a.total = e.total;
        if (options.tty) redraw(false);
        else if (now() - a.lastPrinted >= interval) {
          a.lastPrinted = now();
          options.write(
            `  ${a.label}: ${e.done}/${e.total} (${
              ((100 * e.done) / Math.max(1, e.total)).toFixed(0)
            }%, ETA ${formatSeconds(eta(a))})\n`,
          );
        }
        break;
      }
      case "finished": {
        active.delete(e.node.key);
        const r = e.result;
        if (
          r.status === "ran" || r.status === "cached" || r.status === "failed" ||
          r.status === "skipped"
        ) statusOf.set(e.node.key, r.status);
        if (r.status === "cached") {
          if (options.tty) redraw(true);
          break; // a no-op re-run of 1,000 cached stages should not print 1,000 lines
        }
        const mark = r.status === "ran" ? "✔" : r.status === "failed" ? "✘" : "·";
        print(
          `${mark} ${e.node.label} ${r.status}${
            r.durationMs === null ? "" : ` in ${formatSeconds(r.durationMs / 1000)}`
          }${r.resumed ? " (resumed from checkpoint)" : ""}${r.error ? `: ${r.error}` : ""}`,
        );
        break;
      }
      default:
        break;
    }
  };
  const summary = () => {
    redraw(true);
    const counts = { ran: 0, cached: 0, failed: 0, skipped: 0 };
    for (const status of statusOf.values()) counts[status]++;
    return `${counts.ran} ran, ${counts.cached} cached, ${counts.failed} failed, ${counts.skipped} skipped`;
  };
  const reset = () => {
    statusOf.clear();
  };
  return { onEvent, summary, reset };
};
