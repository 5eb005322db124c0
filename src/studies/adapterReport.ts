/**
 * The adapter study's report (SPEC.md section 2), across arms: heat map of the target MSE over
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
import { ACTIVATIONS } from "../models/adapters.ts";
import { mainEffectsAnova, oneWayAnova } from "../stats/anova.ts";
import { anovaReportTable, type ReportTable } from "../stats/reportTable.ts";
import type { AdapterEval } from "./adapterEval.ts";
import type { AdapterSamples } from "./adapterSamples.ts";
import { FROZEN_ARM, FULL_ARM, safeName } from "./adapterSamples.ts";
import { writeImageGrid } from "../data/imageGrid.ts";
import type { AdapterSensitivity } from "./adapterSensitivityStage.ts";
import { sensitivitySection } from "./adapterSensitivityReport.ts";

export const AdapterReportParams = v.strictObject({
  /** What the target task was, for the report's header. */
  task: v.optional(v.string(), ""),
});

const FACTORS = ["input", "output", "activation", "scale"] as const;

export interface ArmRow {
  readonly id: string;
  readonly input: string;
  readonly output: string;
  readonly activation: string;
  readonly scale: number;
  readonly rank: number;
  readonly mse: number;
  readonly se: number;
  readonly adapterParams: number;
  readonly baseParams: number;
}

const fmt = (x: number | null | undefined, digits = 4) =>
  x === null || x === undefined || !Number.isFinite(x)
    ? "—"
    : Number(x.toPrecision(digits)).toString();
const pct = (x: number) => `${fmt(100 * x, 3)}%`;

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const se = (xs: readonly number[]) => {
  if (xs.length < 2) return null;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1) / xs.length);
};

/** Rows of the adapter arms (baselines excluded). */
export const armRows = (evals: Readonly<Record<string, AdapterEval>>): ArmRow[] =>
  Object.entries(evals).flatMap(([id, e]) => {
    const a = e.tuned.adapter;
    if (e.tuned.method !== "adapter" || a === null) return [];
    return [{
      id,
      input: a.input,
      output: a.output,
      activation: a.activation,
      scale: a.scale,
      rank: a.rank,
      mse: e.targetMse,
      se: e.targetMseSe,
      adapterParams: e.tuned.trainedParameters,
      baseParams: e.tuned.baseParameters,
    }];
  }).sort((a, b) => a.mse - b.mse);

const levelOf = (r: ArmRow, f: (typeof FACTORS)[number]) => String(r[f]);

/** The verdict on the paper's headline claims, as sentences with numbers. */
export const adapterVerdict = (
  rows: readonly ArmRow[],
  anovaRows: readonly { factor: string; f: number; p: number }[],
  full: number | null,
  frozen: number | null,
): string[] => {
  const out: string[] = [];
  const ranked = anovaRows.filter((r) => Number.isFinite(r.f));
  if (ranked.length > 0) {
    const top = ranked[0]!;
    out.push(
      `${
        top.factor === "input" ? "Reproduced" : "Not reproduced"
      }: the factor with the largest F ` +
        `(main-effects model) is ${top.factor} (F = ${fmt(top.f, 3)}, p = ${fmt(top.p, 2)}); ` +
        ranked.map((r) => `${r.factor} F = ${fmt(r.f, 3)}`).join(", ") + ".",
    );
  }
  const byInput = INPUT_POSITIONS.map((i) => {
    const ys = rows.filter((r) => r.input === i).map((r) => r.mse);
    return { input: i, mean: ys.length ? mean(ys) : NaN, n: ys.length };
  }).filter((x) => x.n > 0).sort((a, b) => a.mean - b.mean);
  if (byInput.length > 0) {
    const best2 = byInput.slice(0, 2).map((x) => x.input);
    const claim = best2.includes("CA_out") || best2.includes("CA_c");
    out.push(
      `${claim ? "Reproduced" : "Not reproduced"}: inputs right after cross-attention do best — ` +
        `mean target MSE by input position, best first: ` +
        byInput.map((x) => `${x.input} ${fmt(x.mean)}`).join(", ") + ".",
    );
  }
  const pair = rows.filter((r) => r.input === "CA_out" && r.output === "FFN_in");
  if (pair.length > 0 && rows.length > 0) {
    const best = pair[0]!;
    const rank = rows.indexOf(best) + 1;
    const vsFull = full === null
      ? ""
      : `; full fine-tuning ${fmt(full)}${
        best.mse <= full ? " (the adapter matches or beats it)" : " (the adapter does not reach it)"
      }`;
    out.push(
      `${rank <= Math.max(3, Math.ceil(rows.length / 10)) ? "Reproduced" : "Not reproduced"}: ` +
        `CA_out → FFN_in near the top — its best arm (${best.id}) ranks ${rank} of ${rows.length} ` +
        `with MSE ${fmt(best.mse)} at ${
          pct(best.adapterParams / best.baseParams)
        } extra parameters${vsFull}.`,
    );
  } else out.push("CA_out → FFN_in was not in the grid: that claim is not judged.");
  if (full !== null && frozen !== null && rows.length > 0) {
    const best = rows[0]!;
    out.push(
      `Best adapter ${best.id}: MSE ${fmt(best.mse)} vs full fine-tuning ${
        fmt(full)
      } and the frozen ` +
        `base ${fmt(frozen)}; ${
          rows.filter((r) => r.mse < frozen).length
        } of ${rows.length} adapter arms improve on the frozen base.`,
    );
  }
  return out;
};

const savePlot = async (dir: string, name: string, svg: string) => {
  await Deno.writeTextFile(join(dir, `${name}.svg`), svg);
  await svgToPng(svg, join(dir, `${name}.png`));
};

const factorBars = (rows: readonly ArmRow[], f: "activation" | "scale", levels: string[]) => {
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
      const full = Object.values(evals).find((e) => e.tuned.method === "full")?.targetMse ?? null;
      const frozen = Object.values(evals).find((e) => e.tuned.method === "frozen")?.targetMse ??
        null;
      const rows = armRows(evals);
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
      const obs = rows.map((r) => ({
        levels: Object.fromEntries(FACTORS.map((f) => [f, levelOf(r, f)])),
        y: r.mse,
      }));
      const varied = FACTORS.filter((f) => new Set(rows.map((r) => levelOf(r, f))).size > 1);
      const main = rows.length > varied.length + 1 && varied.length > 0
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
          r.mse,
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
      const verdict = adapterVerdict(rows, anovaRows, full, frozen);
      if (sensitivity) verdict.unshift(sensitivity.verdict);
      const diffs = [...(samples?.data.diff ?? [])].sort((a, b) => b.meanAbsDiff - a.meanAbsDiff);
      if (diffs.length > 1) {
        const largest = diffs[0]!.input;
        verdict.push(
          `${largest === "CA_c" || largest === "CA_out" ? "Reproduced" : "Not reproduced"}: ` +
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
          `| ${r.map((c) => (typeof c === "number" ? fmt(c) : c ?? "—")).join(" | ")} |`
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
        ...verdict.map((x) => `- ${x}`),
        "",
      ];
      await Deno.writeTextFile(join(dir, "report.md"), lines.join("\n"));
      await Deno.writeTextFile(
        join(dir, "tables.json"),
        JSON.stringify({ tables }, null, 2) + "\n",
      );
      await Deno.writeTextFile(
        join(dir, "data.json"),
        JSON.stringify({ rows, full, frozen, verdict }, null, 2) + "\n",
      );
      return { dir };
    }),
});
