/**
 * Arms run with replicates (docs/replicates.md), aggregated over their seeds for `report` and
 * `compare`: each summary metric as mean ± 95% Student-t interval with n and every seed's value
 * (an interval cell); text metrics that agree across seeds as that text.
 */
import { parseArmId } from "../core/replicates.ts";
import { formatIntervalCell, type IntervalCell, intervalCell } from "../stats/intervalCell.ts";
import { renderTable } from "./tables.ts";

export interface SeedAggregate {
  /** The sweep arm (the arm id without `/seed=<s>`). */
  readonly group: string;
  readonly seeds: readonly number[];
  /** Metric → interval cell (numbers), the common text, or null (missing or mixed). */
  readonly cells: Readonly<Record<string, IntervalCell | string | null>>;
}

/**
 * The arms of one run grouped by sweep arm, with `metrics` (arm id → column → cell text, as in
 * summary.md) aggregated; null when no arm is a replicate. Swept params (`axes`) are left out.
 */
export const aggregateSeeds = (
  arms: readonly { readonly id: string; readonly values: Readonly<Record<string, unknown>> }[],
  metrics: ReadonlyMap<string, Readonly<Record<string, string>>>,
): { columns: string[]; rows: SeedAggregate[] } | null => {
  if (!arms.some((a) => parseArmId(a.id).replicate !== null)) return null;
  const axes = new Set(["arm", ...arms.flatMap((a) => Object.keys(a.values))]);
  const columns = [
    ...new Set(arms.flatMap((a) => Object.keys(metrics.get(a.id) ?? {}))),
  ].filter((c) => !axes.has(c));
  const groups = new Map<string, { seed: number; id: string }[]>();
  for (const a of arms) {
    const { group, replicate } = parseArmId(a.id);
    groups.set(group, [...(groups.get(group) ?? []), { seed: replicate ?? 0, id: a.id }]);
  }
  const rows = [...groups].map(([group, runs]) => {
    const cells: Record<string, IntervalCell | string | null> = {};
    for (const c of columns) {
      const texts = runs.map((r) => metrics.get(r.id)?.[c] ?? "");
      const numbers = texts.map((t) => (t.trim() === "" ? NaN : Number(t)));
      cells[c] = numbers.every(Number.isFinite)
        ? intervalCell(new Map(runs.map((r, i) => [r.seed, numbers[i]!])))
        : new Set(texts).size === 1 && texts[0] !== ""
        ? texts[0]!
        : null;
    }
    return { group, seeds: runs.map((r) => r.seed).sort((a, b) => a - b), cells };
  });
  return { columns, rows };
};

/** The cell text of an aggregate: `mean ± half-width (n = k)`, the common text, or "—". */
export const seedCellText = (x: IntervalCell | string | null | undefined): string =>
  x === null || x === undefined ? "—" : typeof x === "string" ? x : formatIntervalCell(x);

/** Markdown rows `| run | arm | n | metrics… |` of one run's aggregate (for `diffrun compare`). */
export const seedAggregateLines = (
  run: string,
  agg: { readonly columns: readonly string[]; readonly rows: readonly SeedAggregate[] },
): string[] =>
  agg.rows.map((r) =>
    `| ${
      [run, r.group, String(r.seeds.length), ...agg.columns.map((c) => seedCellText(r.cells[c]))]
        .join(" | ")
    } |`
  );

/** The HTML table of one or more runs' aggregates (the run column only with several runs). */
export const seedAggregateTable = (
  runs: readonly {
    readonly run: string | null;
    readonly agg: { readonly columns: readonly string[]; readonly rows: readonly SeedAggregate[] };
  }[],
): string => {
  const metrics = [...new Set(runs.flatMap((r) => r.agg.columns))];
  const withRun = runs.some((r) => r.run !== null);
  return renderTable({
    id: "seeds",
    title: "Each arm over its replicate seeds",
    columns: [...(withRun ? ["run"] : []), "arm", "n", ...metrics],
    rows: runs.flatMap((r) =>
      r.agg.rows.map((row) => [
        ...(withRun ? [r.run] : []),
        row.group,
        row.seeds.length,
        ...metrics.map((c) => row.cells[c] ?? null),
      ])
    ),
    note:
      "mean ± half-width of the 95% Student-t interval over the seeds (hover a cell for every " +
      "seed's value); see docs/replicates.md",
  });
};
