/**
 * Metric curves from metrics.jsonl: one line chart per (stage, metric), one series per arm (a
 * stage shared by every arm is one series), x = the row's `step` when it has one, else its
 * order. Inline SVG from src/plot/, with a hover title on every line and marker.
 */
import { lineChart, type Series } from "../plot/mod.ts";
import type { MetricRow, RunData } from "./runData.ts";

export interface CurveChart {
  readonly stage: string;
  readonly metric: string;
  readonly svg: string;
}

/** The stage name of a label: "train-diffusion:step 2[arm]" → "train-diffusion". */
export const stageNameOf = (label: string): string => label.replace(/\[.*\]$/, "").split(":")[0]!;

const seriesName = (row: MetricRow, allArms: number, prefix = "") =>
  prefix +
  (row.arms.length === 0
    ? row.stage
    : row.arms.length === allArms && allArms > 1
    ? "all arms (shared stage)"
    : row.arms.join(" + "));

/** Groups metric rows into charts; `runLabel` prefixes series names (comparisons of runs). */
export const curveCharts = (
  runs: readonly { readonly run: RunData; readonly prefix?: string }[],
  opts: { readonly width?: number; readonly height?: number } = {},
): CurveChart[] => {
  const groups = new Map<string, Map<string, [number, number][]>>();
  for (const { run, prefix } of runs) {
    const nameByKey = new Map(run.stages.map((s) => [s.key.slice(0, 12), s.stage]));
    const counters = new Map<string, number>();
    for (const row of run.metrics) {
      const stage = nameByKey.get(row.key) ?? stageNameOf(row.stage);
      const name = seriesName(row, run.manifest.arms.length, prefix ?? "");
      const seriesKey = `${stage}\u0000${name}`;
      const index = counters.get(seriesKey) ?? 0;
      counters.set(seriesKey, index + 1);
      const x = row.values.step ?? index;
      for (const [metric, y] of Object.entries(row.values)) {
        if (metric === "step" || !Number.isFinite(y)) continue;
        const chartKey = `${stage}\u0000${metric}`;
        const chart = groups.get(chartKey) ?? new Map<string, [number, number][]>();
        groups.set(chartKey, chart);
        const points = chart.get(name) ?? [];
        chart.set(name, points);
        points.push([x, y]);
      }
    }
  }
  const charts: CurveChart[] = [];
  for (const [chartKey, seriesMap] of groups) {
    const [stage, metric] = chartKey.split("\u0000") as [string, string];
    const series: Series[] = [...seriesMap].map(([name, points]) => ({
      name,
      points: [...points].sort((a, b) => a[0] - b[0]),
    }));
    const ys = series.flatMap((s) => s.points.map((p) => p[1]));
    const positive = ys.every((y) => y > 0);
    const spread = positive ? Math.max(...ys) / Math.min(...ys) : 0;
    const hasStep = runs.some(({ run }) => run.metrics.some((r) => r.values.step !== undefined));
    const maxPoints = Math.max(...series.map((s) => s.points.length));
    charts.push({
      stage,
      metric,
      svg: lineChart({
        title: `${metric} (${stage})`,
        xLabel: hasStep ? "step" : "row",
        yLabel: metric,
        yScale: spread > 100 ? "log" : "linear",
        series,
        markers: maxPoints <= 60,
        width: opts.width ?? 560,
        // many series put the legend under the plot: grow so the plot keeps its height
        height: opts.height ?? 340 + 18 * Math.max(0, series.length - 4),
      }),
    });
  }
  return charts;
};
