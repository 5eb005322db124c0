/**
 * Comparing two runs of one experiment made on different backends: every number the runs
 * recorded, matched by where it was recorded.
 *
 * The numbers are the per-step records of metrics.jsonl (training losses, x0-MSE, gradient norms,
 * classifier accuracy; keyed by stage label, arms, step and field) and every numeric leaf of the
 * JSON artifacts (`artifacts/<stage>/value.json` and `data.json`: FD-clf, class entropy, coverage,
 * binned losses on fixed triples, target MSE, verdicts, ANOVA; keyed by artifact and JSON path).
 * Wall-clock numbers (seconds, rates) are left out. Both runs must record the same keys.
 */
import { join } from "node:path";

/** Keys of numbers that measure time, not results. */
const TIMING = /(seconds|PerSecond|Ms|durationMs|wallS|elapsed)$/;
/** metrics.jsonl fields that identify a record rather than measure anything. */
const RECORD_FIELDS = new Set(["stage", "key", "arms", "cached", "step", "shard"]);

const leaves = (value: unknown, path: string, out: Map<string, number>) => {
  if (typeof value === "number") out.set(path, value);
  else if (Array.isArray(value)) value.forEach((x, i) => leaves(x, `${path}[${i}]`, out));
  else if (value !== null && typeof value === "object") {
    for (const [k, x] of Object.entries(value)) {
      if (!TIMING.test(k)) leaves(x, `${path}.${k}`, out);
    }
  }
};

/** Every number of the run in `runDir`, by a key naming where it was recorded. */
export const runNumbers = async (runDir: string): Promise<Map<string, number>> => {
  const out = new Map<string, number>();
  const lines = (await Deno.readTextFile(join(runDir, "metrics.jsonl"))).split("\n");
  for (const line of lines.filter((l) => l.trim() !== "")) {
    const r = JSON.parse(line) as Record<string, unknown>;
    const where = `metrics ${r.stage} ${(r.arms as string[] | undefined ?? []).join("/")} step ${
      r.step ?? "-"
    }`;
    for (const [k, x] of Object.entries(r)) {
      if (!RECORD_FIELDS.has(k) && !TIMING.test(k)) leaves(x, `${where} .${k}`, out);
    }
  }
  const artifacts = join(runDir, "artifacts");
  for (const stage of [...Deno.readDirSync(artifacts)].map((d) => d.name).sort()) {
    for (const file of ["value.json", "data.json"]) {
      const text = await Deno.readTextFile(join(artifacts, stage, file)).catch(() => null);
      if (text !== null) leaves(JSON.parse(text), `${stage}/${file} `, out);
    }
  }
  return out;
};

/** The quantity a key measures: its last field name, without array indices. */
export const quantityOf = (key: string): string =>
  key.replace(/\[\d+\]/g, "").split(".").at(-1) ?? key;

/**
 * Relative difference |a − b| / max(|a|, |b|), with values below `floor` in magnitude counted as
 * `floor` (a p-value of 1e-9 against 2e-9 is no disagreement). Equal values (NaN with NaN, ±∞
 * with itself) give 0; a NaN against a number gives ∞.
 */
export const relativeDifference = (a: number, b: number, floor = 1e-6): number => {
  if (Object.is(a, b) || a === b) return 0;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Infinity;
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), floor);
};

export interface QuantityDifference {
  readonly quantity: string;
  /** How many numbers of this quantity were compared. */
  readonly count: number;
  /** The largest relative difference and where it was. */
  readonly max: number;
  readonly at: string;
  readonly a: number;
  readonly b: number;
  /** The largest absolute difference |a − b|. */
  readonly maxAbsolute: number;
}

export interface RunComparison {
  /** Keys only one run recorded. */
  readonly onlyInA: readonly string[];
  readonly onlyInB: readonly string[];
  /** Per quantity, sorted by name. */
  readonly quantities: readonly QuantityDifference[];
}

/** Matches the numbers of two runs and reports, per quantity, the largest relative difference. */
export const compareRuns = (a: Map<string, number>, b: Map<string, number>): RunComparison => {
  const byQuantity = new Map<string, QuantityDifference>();
  for (const [key, x] of a) {
    const y = b.get(key);
    if (y === undefined) continue;
    const quantity = quantityOf(key);
    const d = relativeDifference(x, y);
    const abs = x === y ? 0 : Math.abs(x - y);
    const seen = byQuantity.get(quantity);
    const count = (seen?.count ?? 0) + 1;
    const maxAbsolute = Math.max(seen?.maxAbsolute ?? 0, Number.isNaN(abs) ? Infinity : abs);
    byQuantity.set(
      quantity,
      !seen || d > seen.max
        ? { quantity, count, max: d, at: key, a: x, b: y, maxAbsolute }
        : { ...seen, count, maxAbsolute },
    );
  }
  return {
    onlyInA: [...a.keys()].filter((k) => !b.has(k)),
    onlyInB: [...b.keys()].filter((k) => !a.has(k)),
    quantities: [...byQuantity.values()].sort((p, q) => p.quantity.localeCompare(q.quantity)),
  };
};
