/**
 * Min-SNR study, across arms: convergence curves (FD-clf against step, one plot per target), the
 * paper's Figure-6 view (unweighted x0-MSE per timestep bin over training, per arm), the weight
 * curves of every strategy against log-SNR, the speed-up table, and an honest verdict; the
 * tables also go into tables.json for the HTML report.
 */
import * as v from "valibot";
import * as Effect from "effect/Effect";
import { join } from "node:path";
import { defineStage, type Group } from "../core/stage.ts";
import { files } from "../core/codec.ts";
import type { ArmCurves } from "./minSnrCurves.ts";
import {
  type ArmRuns,
  groupRuns,
  minSnrVerdict,
  seedsOf,
  type SpeedupRow,
  speedupTable,
} from "./minSnrVerdict.ts";
import type { IntervalCell } from "../stats/intervalCell.ts";
import { intervalCell } from "../stats/intervalCell.ts";
import { lineChart } from "../plot/lineChart.ts";
import { svgToPng } from "../plot/png.ts";
import { makeSchedule } from "../diffusion/schedules.ts";
import { resolveWeighting } from "../diffusion/weightings.ts";
import * as fsys from "../platform/fs.ts";

export const MinSnrReportParams = v.strictObject({
  /** FD-clf threshold for "steps to reach"; null: each target's unweighted baseline's final FD × thresholdFactor. */
  threshold: v.optional(v.nullable(v.pipe(v.number(), v.gtValue(0))), null),
  thresholdFactor: v.optional(v.pipe(v.number(), v.gtValue(0)), 1.2),
  schedule: v.optional(v.unknown(), { family: "cosine" }),
});

const fmt = (
  x: number | null | undefined,
  digits = 3,
) => (x === null || x === undefined || !Number.isFinite(x)
  ? "—"
  : Number(x.toPrecision(digits)).toString());

/** A cell as report.md prints it: `mean ± half-width` (n is in its own column). */
const md = (c: IntervalCell | null, suffix = "") =>
  c === null
    ? "—"
    : `${fmt(c.mean)}${c.halfWidth === null ? "" : ` ± ${fmt(c.halfWidth, 2)}`}${suffix}`;

/** Seed → value of a number for every step of one arm's runs, as (step, cell) pairs. */
const byStep = (g: ArmRuns, f: (p: ArmCurves["points"][number]) => number | null) => {
  const steps = [...new Set([...g.runs.values()].flatMap((c) => c.points.map((q) => q.step)))]
    .sort((a, b) => a - b);
  return steps.map((step) => {
    const values = new Map<number, number>();
    for (const [seed, c] of g.runs) {
      const q = c.points.find((x) => x.step === step);
      values.set(seed, q ? f(q) ?? NaN : NaN);
    }
    return { step, cell: intervalCell(values) };
  });
};

/** tables.json for the HTML report: the speed-up table and FD-clf per arm per evaluated step. */
export const studyTables = (
  groups: readonly ArmRuns[],
  rows: readonly SpeedupRow[],
  threshold: number | null,
  factor: number,
) => {
  const steps = [
    ...new Set(
      groups.flatMap((g) => [...g.runs.values()].flatMap((c) => c.points.map((q) => q.step))),
    ),
  ].sort((a, b) => a - b);
  return [
    {
      id: "speedup",
      title: "Steps to reach the FD-clf threshold, and speed-up over the unweighted baseline",
      columns: [
        "arm",
        "weighting",
        "n",
        "reached",
        "threshold",
        "steps to reach",
        "baseline steps",
        "speed-up",
        "final FD-clf",
      ],
      rows: rows.map((r) => [
        r.arm,
        r.label,
        r.n,
        `${r.reached} of ${r.n}`,
        r.threshold,
        r.steps ?? "not reached",
        r.baselineSteps ?? "not reached",
        r.speedup,
        r.finalFd,
      ]),
      note:
        (threshold === null
          ? `threshold: each target's unweighted baseline's final FD-clf × ${factor}, per seed`
          : `threshold: FD-clf ${threshold}`) +
        "; cells: mean ± 95% Student-t interval over the seeds where the number exists (every seed's value in the cell)",
    },
    {
      id: "fd-by-step",
      title: "FD-clf per arm at every evaluated step (mean ± 95% CI over seeds)",
      columns: ["arm", "n", ...steps.map((s) => `@${s}`)],
      rows: groups.map((g) => {
        const cells = byStep(g, (q) => q.fdClf);
        return [
          g.label,
          g.runs.size,
          ...steps.map((s) => cells.find((c) => c.step === s)?.cell ?? null),
        ];
      }),
    },
  ];
};

const savePlot = async (dir: string, name: string, svg: string) => {
  await fsys.writeTextFile(join(dir, `${name}.svg`), svg);
  await svgToPng(svg, join(dir, `${name}.png`));
};

export const minSnrReportStage = defineStage({
  name: "min-snr-report",
  version: "1",
  module: import.meta.url,
  params: MinSnrReportParams,
  inputs: { arms: "many" },
  output: files,
  seeded: false,
  run: (ctx, p, inputs: { arms: Group<ArmCurves> }) =>
    Effect.promise(async () => {
      const groups = groupRuns(inputs.arms);
      const seeds = seedsOf(groups);
      const dir = ctx.scratchDir;
      const targets = [...new Set(groups.map((g) => g.target))];
      const spread = seeds.length > 1
        ? `mean over ${seeds.length} seeds, shaded: 95% CI`
        : "one seed";
      for (const target of targets) {
        await savePlot(
          dir,
          `fd_${target}`,
          lineChart({
            title: `FD-clf during training, ${target}-prediction`,
            subtitle:
              `lower is better; one curve per weighting (${spread}); same seed, batches and t draws`,
            xLabel: "training step",
            yLabel: "FD-clf (classifier features)",
            markers: true,
            series: groups.filter((g) => g.target === target).map((g) => {
              const cells = byStep(g, (q) => q.fdClf);
              return {
                name: g.label,
                points: cells.map((c) => [c.step, c.cell?.mean ?? NaN] as [number, number]),
                band: cells.filter((c) => c.cell?.low != null && c.cell.high != null).map((c) =>
                  [c.step, c.cell!.low!, c.cell!.high!] as [number, number, number]
                ),
                dashed: g.weighting.strategy === "unweighted",
              };
            }),
          }),
        );
      }
      for (const g of groups) {
        // the mean over seeds of each bin's loss at each evaluated step
        const first = [...g.runs.values()][0]!;
        await savePlot(
          dir,
          `bins_${g.arm.replace(/[^\w.=-]+/g, "_")}`,
          lineChart({
            title: `Unweighted x0-MSE per timestep bin over training: ${g.label}`,
            subtitle: `the Min-SNR paper's Figure 6 view: one curve per evaluated step (${
              seeds.length > 1 ? `mean over ${g.runs.size} seeds` : "one seed"
            })`,
            xLabel: "timestep t (bin centre)",
            yLabel: "x0-MSE, x̂0 clipped to [-1, 1]",
            yScale: "log",
            series: first.points.map((q) => ({
              name: `step ${q.step}`,
              points: q.binLoss.map((_l, i) => {
                const values = new Map(
                  [...g.runs].map(([s, c]) => [
                    s,
                    c.points.find((x) => x.step === q.step)?.binLoss[i] ?? NaN,
                  ]),
                );
                return [
                  (q.binEdges[i]! + q.binEdges[i + 1]!) / 2,
                  intervalCell(values)?.mean ?? NaN,
                ] as [number, number];
              }),
            })),
          }),
        );
      }
      const schedule = makeSchedule(p.schedule);
      const strategies = [
        ...new Map(groups.map((g) => [JSON.stringify(g.weighting), g.weighting])).values(),
      ];
      for (const target of targets) {
        await savePlot(
          dir,
          `weights_${target}`,
          lineChart({
            title: `Loss multiplier on the ${target}-MSE against log-SNR`,
            subtitle: "cosine schedule, T = 1000; min-SNR clamps at γ",
            xLabel: "log-SNR",
            yLabel: "multiplier m(t)",
            yScale: "log",
            series: strategies.map((config) => {
              const w = resolveWeighting(config, target);
              return {
                name: w.label,
                points: Array.from(
                  schedule.logSnr,
                  (l, t) => [l, w.multiplier(schedule.snr[t]!)] as [number, number],
                ),
              };
            }),
          }),
        );
      }
      const rows = speedupTable(groups, p.threshold, p.thresholdFactor);
      const lines = [
        "# Min-SNR-γ study",
        "",
        p.threshold === null
          ? `Threshold: each target's unweighted baseline's final FD-clf × ${p.thresholdFactor}, per seed.`
          : `Threshold: FD-clf ${p.threshold}.`,
        "",
        `Seeds: ${seeds.join(", ")}. Numbers are the mean ± the half-width of the 95% Student-t ` +
        "interval over the seeds where the number exists (no interval with one seed).",
        "",
        "| arm | weighting | n | reached | steps to reach | baseline steps | speed-up | final FD-clf |",
        "|---|---|---|---|---|---|---|---|",
        ...rows.map((r) =>
          `| ${r.arm} | ${r.label} | ${r.n} | ${r.reached} of ${r.n} | ${
            r.steps === null ? "not reached" : md(r.steps)
          } | ${r.baselineSteps === null ? "not reached" : md(r.baselineSteps)} | ${
            md(r.speedup, "×")
          } | ${md(r.finalFd)} |`
        ),
        "",
        'Which weighting each arm ran (the paper\'s "constant" is the x0-space weight 1; the authors\' code\'s "constant" is "unweighted" here):',
        "",
        ...groups.map((g) => {
          const diverged = [...g.runs].filter(([, c]) => c.divergedAt !== null);
          return `- ${g.arm}: ${g.describe}${
            diverged.length > 0
              ? ` — diverged at ${
                diverged.map(([s, c]) => `step ${c.divergedAt} (seed ${s})`).join(", ")
              }`
              : ""
          }`;
        }),
        "",
        "## Verdict",
        "",
        "From the 95% interval of the paired difference (same seed, two arms): Reproduced when it " +
        "excludes 0 on the paper's side, Contradicted when on the other, else Inconclusive.",
        "",
        ...minSnrVerdict(groups, p.threshold, p.thresholdFactor).map((x) => `- ${x}`),
        "",
      ];
      await fsys.writeTextFile(join(dir, "report.md"), lines.join("\n"));
      await fsys.writeTextFile(
        join(dir, "tables.json"),
        JSON.stringify(
          { tables: studyTables(groups, rows, p.threshold, p.thresholdFactor) },
          null,
          2,
        ) +
          "\n",
      );
      await fsys.writeTextFile(
        join(dir, "data.json"),
        JSON.stringify(
          {
            rows,
            arms: groups.map((g) => ({ ...g, runs: Object.fromEntries(g.runs) })),
          },
          null,
          2,
        ) + "\n",
      );
      return { dir };
    }),
});
