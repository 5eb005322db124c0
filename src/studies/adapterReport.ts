/**
 * The adapter study's report (docs/adapters.md), across arms: heat map of the target MSE over
 * (input, output), bar charts per activation and per scale, the one-way and main-effects ANOVA
 * tables sorted by F, the top-10 configurations with adapter size against full fine-tuning,
 * FD-clf of the sampled arms, the noise-prediction difference images, and a verdict on the
 * paper's claims with numbers. Writes report.md, SVG + PNG plots and tables.json.
 *
 * Inputs: `eval:<arm>` for every arm (baselines included), `samples` (adapter-samples) and
 * `sensitivity` (adapter-sensitivity: what each position can do before tuning).
 */
import * as v from "valibot";
import * as Effect from "effect/Effect";
import { join } from "node:path";
import { defineStage, type Group } from "../core/stage.ts";
import { files } from "../core/codec.ts";
import type { WithFiles } from "../stages/codecs.ts";
import { heatmap } from "../plot/heatmap.ts";
import { barChart } from "../plot/barChart.ts";
import { svgToPng } from "../plot/png.ts";
import { INPUT_POSITIONS, OUTPUT_POSITIONS } from "../models/hooks.ts";
import * as fsys from "../platform/fs.ts";
export type { ArmRow } from "./adapterVerdict.ts";
export { adapterVerdict, armRows } from "./adapterVerdict.ts";
import { ACTIVATIONS } from "../models/adapters.ts";
import { mainEffectsAnova, oneWayAnova } from "../stats/anova.ts";
import { anovaReportTable, type ReportTable } from "../stats/reportTable.ts";
import type { AdapterEval } from "./adapterEval.ts";
import type { AdapterSamples } from "./adapterSamples.ts";
import { FROZEN_ARM, FULL_ARM, safeName } from "./adapterSamples.ts";
import { writeImageGrid } from "../data/imageGrid.ts";
import {
  adapterVerdict,
  type ArmRow,
  armRows,
  type ArmSummary,
  baselineBySeed,
  FACTORS,
  fmt,
  levelOf,
  mean,
  summariseArms,
} from "./adapterVerdict.ts";
import { formatIntervalCell, intervalCell } from "../stats/intervalCell.ts";
import type { AdapterSensitivity } from "./adapterSensitivityStage.ts";
import { sensitivitySection } from "./adapterSensitivityReport.ts";

export const AdapterReportParams = v.strictObject({
  /** What the target task was, for the report's header. */
  task: v.optional(v.string(), ""),
});

const se = (xs: readonly number[]) => {
  if (xs.length < 2) return null;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1) / xs.length);
};

const savePlot = async (dir: string, name: string, svg: string) => {
  await fsys.writeTextFile(join(dir, `${name}.svg`), svg);
  await svgToPng(svg, join(dir, `${name}.png`));
};

const factorBars = (rows: readonly ArmSummary[], f: "activation" | "scale", levels: string[]) => {
  const groups = levels.map((l) => rows.filter((r) => levelOf(r, f) === l).map((r) => r.mse));
  return {
    categories: levels.map((l, i) => `${l} (n=${groups[i]!.length})`),
    values: groups.map((g) => (g.length ? mean(g) : null)),
    errors: groups.map((g) => se(g)),
  };
};

export const adapterReportStage = defineStage({
  name: "adapter-report",
  version: "1",
  module: import.meta.url,
  params: AdapterReportParams,
  inputs: { evals: "many", samples: "optional", sensitivity: "optional" },
  output: files,
  seeded: false,
  run: (
    ctx,
    p,
    inputs: {
      evals: Group<AdapterEval>;
      samples?: WithFiles<AdapterSamples>;
      sensitivity?: AdapterSensitivity;
    },
  ) =>
    Effect.promise(async () => {
      const dir = ctx.scratchDir;
      const evals: Record<string, AdapterEval> = { ...inputs.evals };
      const samples = inputs.samples;
      const fullBySeed = baselineBySeed(evals, "full");
      const frozenBySeed = baselineBySeed(evals, "frozen");
      const full = intervalCell(fullBySeed)?.mean ?? null;
      const frozen = intervalCell(frozenBySeed)?.mean ?? null;
      // every seed's arm (ANOVA, verdict), and each arm over its seeds (plots, tables)
      const seedRows: ArmRow[] = armRows(evals);
      const rows = summariseArms(seedRows);
      const seeds = [...new Set(seedRows.map((r) => r.seed))].sort((a, b) => a - b);
      const tables: ReportTable[] = [];

      // heat map: mean over activation and scale of each (input, output) cell
      const cell = (i: string, o: string) => {
        const ys = rows.filter((r) => r.input === i && r.output === o).map((r) => r.mse);
        return ys.length ? mean(ys) : null;
      };
      await savePlot(
        dir,
        "heatmap",
        heatmap({
          title: "Target denoising MSE by adapter placement",
          subtitle: `mean over the activations and scales run; full fine-tune ${
            fmt(full)
          }, frozen base ${fmt(frozen)}; n/a: invalid or not run`,
          xLabel: "output position",
          yLabel: "input position",
          rowLabels: [...INPUT_POSITIONS],
          columnLabels: [...OUTPUT_POSITIONS],
          values: INPUT_POSITIONS.map((i) => OUTPUT_POSITIONS.map((o) => cell(i, o))),
          colorLabel: "target MSE (lower is better)",
          reverse: true,
        }),
      );
      const hLines = [
        ...(full === null ? [] : [{ y: full, label: `${FULL_ARM} ${fmt(full)}` }]),
        ...(frozen === null ? [] : [{ y: frozen, label: `${FROZEN_ARM} ${fmt(frozen)}` }]),
      ];
      const scales = [...new Set(rows.map((r) => r.scale))].sort((a, b) => a - b).map(String);
      for (
        const [f, levels] of [["activation", [...ACTIVATIONS]], ["scale", scales]] as const
      ) {
        const bars = factorBars(
          rows,
          f,
          levels.filter((l) => rows.some((r) => levelOf(r, f) === l)),
        );
        await savePlot(
          dir,
          `by_${f}`,
          barChart({
            title: `Target MSE by ${f}`,
            subtitle: "mean over the arms with that level, ± standard error",
            yLabel: "target MSE (lower is better)",
            categories: bars.categories,
            series: [{ name: "adapters", values: bars.values, errors: bars.errors }],
            hLines,
            showValues: true,
          }),
        );
      }

      // ANOVA: factors with at least two observed levels
      const obs = seedRows.map((r) => ({
        levels: Object.fromEntries(FACTORS.map((f) => [f, levelOf(r, f)])),
        y: r.mse,
      }));
      const varied = FACTORS.filter((f) => new Set(rows.map((r) => levelOf(r, f))).size > 1);
      const main = seedRows.length > varied.length + 1 && varied.length > 0
        ? mainEffectsAnova(obs, varied)
        : null;
      if (main) {
        tables.push(anovaReportTable(
          main,
          "anova",
          "Main-effects ANOVA of target MSE (Type II), sorted by F",
        ));
      }
      const oneWay = varied.map((f) => ({ f, t: oneWayAnova(obs, f) })).sort((a, b) =>
        (b.t.rows[0]?.f ?? -1) - (a.t.rows[0]?.f ?? -1)
      );
      tables.push({
        id: "anova-one-way",
        title: "One-way ANOVA of target MSE per factor, sorted by F",
        columns: ["factor", "df", "F", "p", "residual df"],
        rows: oneWay.map(({ f, t }) => [
          f,
          t.rows[0]!.df,
          Number.isFinite(t.rows[0]!.f) ? t.rows[0]!.f : null,
          Number.isFinite(t.rows[0]!.p) ? t.rows[0]!.p : null,
          t.residual.df,
        ]),
      });

      // top 10 against full fine-tuning
      const fdOf = new Map((samples?.data.fd ?? []).map((x) => [x.arm, x.fdClf]));
      const fullFd = (samples?.data.fd ?? []).find((x) => evals[x.arm]?.tuned.method === "full")
        ?.fdClf;
      const frozenFd = (samples?.data.fd ?? []).find((x) => evals[x.arm]?.tuned.method === "frozen")
        ?.fdClf;
      const top = rows.slice(0, 10);
      tables.push({
        id: "top10",
        title: "Top-10 adapter configurations by target MSE, against full fine-tuning",
        columns: [
          "rank",
          "input",
          "output",
          "activation",
          "scale",
          "rank r",
          "n",
          "target MSE",
          "± se",
          "vs full FT",
          "adapter params",
          "% of base",
          "FD-clf",
        ],
        rows: top.map((r, i) => [
          i + 1,
          r.input,
          r.output,
          r.activation,
          r.scale,
          r.rank,
          r.n,
          r.cell,
          r.se,
          full === null ? null : `${fmt((100 * (r.mse - full)) / full, 3)}%`,
          r.adapterParams,
          Number((100 * r.adapterParams / r.baseParams).toPrecision(3)),
          fdOf.get(r.id) ?? null,
        ]),
        note: `full fine-tuning: MSE ${fmt(full)}, FD-clf ${fmt(fullFd)}, trains 100% of ${
          rows[0]?.baseParams ?? "?"
        } parameters; frozen base: MSE ${fmt(frozen)}, FD-clf ${fmt(frozenFd)}`,
      });
      tables.push({
        id: "fd",
        title: `FD-clf of ${samples?.data.samples ?? "?"} samples (${
          samples?.data.sampler ?? "?"
        }) against the ${samples?.data.reference ?? "target test split"}`,
        columns: ["arm", "target MSE", "FD-clf", "recognised as their label"],
        rows: (samples?.data.fd ?? []).map((x) => [x.arm, x.targetMse, x.fdClf, x.recognised]),
        note: `classifier test accuracy ${fmt(samples?.data.classifierTestAccuracy, 3)}`,
      });

      // difference images, rendered from the samples stage's data
      const diffFiles: string[] = [];
      if (samples && samples.data.diff.length > 0) {
        const { diffShape: shape } = samples.data;
        const grid = { scale: Math.max(1, Math.round(64 / shape.height)), padding: 2 };
        const png = (file: string, pixels: readonly number[]) =>
          writeImageGrid(join(dir, file), { images: Float32Array.from(pixels), shape }, grid);
        await png("diff_inputs.png", samples.data.diffInputs);
        for (const d of samples.data.diff) {
          const file = `diff_${safeName(d.input)}.png`;
          await png(file, d.pixels);
          diffFiles.push(file);
        }
      }

      const sensitivity = inputs.sensitivity && sensitivitySection(inputs.sensitivity);
      if (sensitivity) {
        tables.push(...sensitivity.tables);
        await savePlot(dir, "sensitivity", sensitivity.chart);
      }
      const anovaRows = main?.rows ?? [];
      const verdict = adapterVerdict(seedRows, anovaRows, fullBySeed, frozenBySeed);
      if (sensitivity) verdict.unshift(sensitivity.verdict);
      const diffs = [...(samples?.data.diff ?? [])].sort((a, b) => b.meanAbsDiff - a.meanAbsDiff);
      if (diffs.length > 1) {
        const largest = diffs[0]!.input;
        verdict.push(
          `${
            largest === "CA_c" || largest === "CA_out" ? "Consistent" : "Not consistent"
          } with the paper (seed ${seeds[0] ?? 0}'s samples only, no interval): ` +
            `the noise-prediction difference (${
              samples!.data.diffMode === "token"
                ? "with vs without the new token"
                : "with vs without the adapter"
            }) is largest for adapters reading CA_c or CA_out — mean |Δε̂| by input position: ${
              diffs.map((d) => `${d.input} ${fmt(d.meanAbsDiff, 3)}`).join(", ")
            }.`,
        );
      }
      const mdTable = (t: ReportTable) => [
        `| ${t.columns.join(" | ")} |`,
        `|${t.columns.map(() => "---").join("|")}|`,
        ...t.rows.map((r) =>
          `| ${
            r.map((c) =>
              typeof c === "number"
                ? fmt(c)
                : c !== null && typeof c === "object"
                ? formatIntervalCell(c, 4)
                : c ?? "—"
            ).join(" | ")
          } |`
        ),
        ...(t.note ? ["", t.note] : []),
      ];
      const lines = [
        "# Adapter design space",
        "",
        ...(p.task ? [`Target task: ${p.task}.`, ""] : []),
        `${rows.length} adapter arms; metric: target denoising MSE on one fixed set of ${
          Object.values(evals)[0]?.triples ?? "?"
        } (x0, ε, t) triples of the target test split (lower is better).`,
        `Baselines: full fine-tuning ${fmt(full)}, frozen base ${fmt(frozen)}.`,
        `Seeds: ${seeds.join(", ")}; an arm's MSE is its mean over seeds (tables: mean ± 95% ` +
        "Student-t interval, n); the ANOVA takes every seed's arm as an observation.",
        "",
        "![heat map](heatmap.png)",
        "",
        "![by activation](by_activation.png) ![by scale](by_scale.png)",
        ...(sensitivity ? ["", "![sensitivity before tuning](sensitivity.png)"] : []),
        "",
        ...tables.flatMap((t) => [`## ${t.title}`, "", ...mdTable(t), ""]),
        samples?.data.diffMode === "token"
          ? "## Noise-prediction difference with and without the new token"
          : "## Noise-prediction difference with and without the adapter",
        "",
        samples?.data.diffMode === "token"
          ? "Per pixel |ε̂(x_t, new token) − ε̂(x_t, null class)| of the adapted model on the same (x_t, t), for the best arm of each input position (each grid on its own scale, white = its largest difference), under the clean images they were noised from."
          : "Target (a) has no new token, so this shows per pixel |ε̂ with adapter − ε̂ base| on the same (x_t, t, class), for the best arm of each input position (each grid on its own scale, white = its largest difference), under the clean images they were noised from.",
        "",
        "![clean images](diff_inputs.png)",
        "",
        ...(samples?.data.diff ?? []).map((d, i) =>
          `- ${d.input} (${d.arm}): mean |Δε̂| ${fmt(d.meanAbsDiff, 3)} ![${d.input}](${
            diffFiles[i]
          })`
        ),
        "",
        "## Verdict",
        "",
        "From the 95% interval of the paired difference (same seed): Reproduced when it excludes " +
        "0 on the paper's side, Contradicted when on the other, else Inconclusive.",
        "",
        ...verdict.map((x) => `- ${x}`),
        "",
      ];
      await fsys.writeTextFile(join(dir, "report.md"), lines.join("\n"));
      await fsys.writeTextFile(
        join(dir, "tables.json"),
        JSON.stringify({ tables }, null, 2) + "\n",
      );
      await fsys.writeTextFile(
        join(dir, "data.json"),
        JSON.stringify({ rows, seedRows, full, frozen, verdict }, null, 2) + "\n",
      );
      return { dir };
    }),
});
