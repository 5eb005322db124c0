/**
 * The DMD study's report, across arms (docs/dmd.md): one-step FD-clf per arm against the
 * teacher's DDIM with 50, 4 and 1 steps, class coverage (entropy of predicted classes) per arm,
 * sample grids of every arm and the teacher from the same noise, loss curves of the generators
 * and fake scores, and a verdict on the paper's ablation order with the numbers.
 *
 * Inputs: `teacher` (evaluate outputs of the teacher, by sampler steps), `evals` (evaluate
 * outputs of each arm's generator, one step, by arm) and `generators` (the generator bundles, by
 * arm, for their loss histories); with replicates the arm keys are `<arm>/seed=<s>`. Numbers
 * aggregate the seeds (mean ± 95% CI, n); grids and loss curves show each arm's lowest seed. Writes report.md, tables.json, data.json, loss plots (SVG + PNG) and grids.
 */
import * as v from "valibot";
import * as Effect from "effect/Effect";
import { join } from "node:path";
import { defineStage, type Group } from "../core/stage.ts";
import { files } from "../core/codec.ts";
import type { ModelBundle, WithFiles } from "../stages/codecs.ts";
import type { Evaluation } from "../stages/evaluate.ts";
import type { TrainedConfig } from "../stages/trainDiffusion.ts";
import { lineChart } from "../plot/lineChart.ts";
import { svgToPng } from "../plot/png.ts";
import { type ArmResult, dmdVerdict } from "./dmdVerdict.ts";
import { parseArmId } from "../core/replicates.ts";
import { formatIntervalCell, type IntervalCell, intervalCell } from "../stats/intervalCell.ts";
import * as fsys from "../platform/fs.ts";

export const DmdReportParams = v.strictObject({
  /** Arm names in display order, with a description each. */
  arms: v.array(v.strictObject({ name: v.string(), describe: v.string() })),
  /** The distillation's pair sampler, for the text. */
  pairs: v.string(),
});

const fmt = (x: number | null | undefined, digits = 3) =>
  x === null || x === undefined || !Number.isFinite(x) ? "—" : Number(x.toPrecision(digits));

interface History {
  readonly columns: string[];
  readonly rows: (number | null)[][];
}

const column = (h: History, name: string): [number, number][] => {
  const i = h.columns.indexOf(name);
  return h.rows.filter((r) => r[i] !== null && r[i] !== undefined).map((r) =>
    [r[0]!, r[i]!] as [number, number]
  );
};

/** Moving average over `k` points, so a per-step loss curve reads as a trend. */
const smooth = (pts: [number, number][], k: number): [number, number][] =>
  pts.map(([x], i) => {
    const w = pts.slice(Math.max(0, i - k + 1), i + 1);
    return [x, w.reduce((a, p) => a + p[1], 0) / w.length];
  });

const savePlot = async (dir: string, name: string, svg: string) => {
  await fsys.writeTextFile(join(dir, `${name}.svg`), svg);
  await svgToPng(svg, join(dir, `${name}.png`));
};

export const dmdReportStage = defineStage({
  name: "dmd-report",
  version: "1",
  module: import.meta.url,
  params: DmdReportParams,
  inputs: { teacher: "many", evals: "many", generators: "many" },
  output: files,
  seeded: false,
  run: (
    ctx,
    p,
    inputs: {
      teacher: Group<WithFiles<Evaluation>>;
      evals: Group<WithFiles<Evaluation>>;
      generators: Group<ModelBundle<TrainedConfig>>;
    },
  ) =>
    Effect.promise(async () => {
      const dir = ctx.scratchDir;
      const teacher = Object.entries(inputs.teacher)
        .map(([steps, e]) => ({ steps: Number(steps), e }))
        .sort((a, b) => b.steps - a.steps);
      const runs = Object.keys(inputs.evals).map((id) => {
        const { group, replicate } = parseArmId(id);
        return { id, name: group, seed: replicate ?? 0 };
      });
      const order = p.arms.map((a) => a.name);
      const results: (ArmResult & { gen: ModelBundle<TrainedConfig>; dir: string })[] = runs
        .filter((r) => order.includes(r.name))
        .sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name) || a.seed - b.seed)
        .map((r) => {
          const e = inputs.evals[r.id]!;
          const gen = inputs.generators[r.id]!;
          const updates = gen.info.updates as { generator: number; fake: number } | undefined;
          return {
            name: r.name,
            seed: r.seed,
            describe: p.arms.find((a) => a.name === r.name)!.describe,
            fdClf: e.data.fdClf,
            entropy: e.data.classEntropy,
            entropyNormalised: e.data.classEntropyNormalised,
            coverage: e.data.coverage,
            generatorUpdates: updates?.generator ?? 0,
            fakeUpdates: updates?.fake ?? 0,
            gen,
            dir: e.dir,
          };
        });
      // grids and loss curves: each arm's lowest seed
      const arms = results.filter((a, i) => results.findIndex((b) => b.name === a.name) === i);
      const seeds = [...new Set(results.map((a) => a.seed))].sort((a, b) => a - b);
      const cell = (name: string, pick: (a: ArmResult) => number): IntervalCell | null =>
        intervalCell(new Map(results.filter((a) => a.name === name).map((a) => [a.seed, pick(a)])));
      // grids: the teacher's and every arm's, all from the same noise and classes
      for (const t of teacher) {
        await fsys.copyFile(
          join(t.e.dir, "samples.png"),
          join(dir, `grid_teacher_ddim${t.steps}.png`),
        );
      }
      for (const a of arms) {
        await fsys.copyFile(join(a.dir, "samples.png"), join(dir, `grid_${a.name}.png`));
      }
      const hist = (a: (typeof arms)[number]) => a.gen.info.history as History;
      const window = (a: (typeof arms)[number]) =>
        Math.max(1, Math.round(hist(a).rows.length / 20));
      await savePlot(
        dir,
        "loss_generator",
        lineChart({
          title: "Generator loss per arm",
          subtitle: "loss_dm + λ_reg·regression (moving average); arms differ in what they sum",
          xLabel: "generator step",
          yLabel: "generator loss",
          yScale: "log",
          series: arms.map((a) => ({
            name: a.name,
            points: smooth(column(hist(a), "loss"), window(a)),
          })),
        }),
      );
      const withFake = arms.filter((a) => column(hist(a), "fake").length > 0);
      await savePlot(
        dir,
        "loss_fake",
        lineChart({
          title: "Fake-score denoising loss per arm",
          subtitle: "mean over the step's fake updates (moving average)",
          xLabel: "generator step",
          yLabel: "denoising loss",
          yScale: "log",
          series: withFake.map((a) => ({
            name: a.name,
            points: smooth(column(hist(a), "fake"), window(a)),
          })),
        }),
      );
      const withDm = arms.filter((a) => column(hist(a), "dm").length > 0);
      const withReg = arms.filter((a) => column(hist(a), "reg").length > 0);
      await savePlot(
        dir,
        "loss_parts",
        lineChart({
          title: "Loss parts: distribution matching and regression",
          subtitle: "loss_dm = 0.5·mean(grad²) (solid); regression = perceptual + L1 (dashed)",
          xLabel: "generator step",
          yLabel: "loss",
          yScale: "log",
          series: [
            ...withDm.map((a) => ({
              name: `${a.name} dm`,
              points: smooth(column(hist(a), "dm"), window(a)),
            })),
            ...withReg.map((a) => ({
              name: `${a.name} reg`,
              points: smooth(column(hist(a), "reg"), window(a)),
              dashed: true,
            })),
          ],
        }),
      );
      const rows: (string | number | null | IntervalCell)[][] = [
        ...teacher.map((t) => [
          `teacher, DDIM ${t.steps} step${t.steps === 1 ? "" : "s"}`,
          t.steps,
          fmt(t.e.data.fdClf),
          fmt(t.e.data.classEntropy),
          fmt(t.e.data.classEntropyNormalised),
          fmt(t.e.data.coverage),
          null,
          null,
        ]),
        ...arms.map((a) => [
          `${a.name}: ${a.describe}`,
          1,
          cell(a.name, (r) => r.fdClf),
          cell(a.name, (r) => r.entropy),
          cell(a.name, (r) => r.entropyNormalised),
          cell(a.name, (r) => r.coverage),
          a.generatorUpdates,
          a.fakeUpdates,
        ]),
      ];
      const columns = [
        "model",
        "sampling steps",
        "FD-clf",
        "class entropy (nats)",
        "entropy / log K",
        "class coverage",
        "generator updates",
        "fake-score updates",
      ];
      const accuracy = teacher[0]?.e.data.classifierTestAccuracy ?? NaN;
      const samples = teacher[0]?.e.data.samples ?? arms[0]?.gen.info.step ?? 0;
      const note =
        `FD-clf in the features of the pipeline's classifier (test accuracy ${
          fmt(100 * accuracy)
        }%) ` +
        `against the test split, ${samples} samples each, same noise and classes for every row. ` +
        `Regression loss = classifier-feature perceptual distance + pixel L1, the stand-in for LPIPS. ` +
        `Generator rows: mean ± 95% Student-t interval over seeds ${
          seeds.join(", ")
        } (n per cell).`;
      await fsys.writeTextFile(
        join(dir, "tables.json"),
        JSON.stringify(
          {
            tables: [{
              id: "dmd",
              title: "One-step generators vs the teacher",
              columns,
              rows,
              note,
            }],
          },
          null,
          2,
        ) + "\n",
      );
      const teacherFd = (steps: number) => teacher.find((t) => t.steps === steps)?.e.data.fdClf;
      const verdict = dmdVerdict(results, {
        ddim50: teacherFd(50) ?? null,
        ddim4: teacherFd(4) ?? null,
        ddim1: teacherFd(1) ?? null,
      });
      const md = [
        "# Distribution Matching Distillation study",
        "",
        `Teacher: a class-conditional diffusion model with label dropout. Regression pairs: ${p.pairs}.`,
        "The regression loss is the perceptual distance in the classifier's penultimate features plus",
        "pixel L1: it stands in for LPIPS, whose weights cannot be obtained here.",
        "",
        `| ${columns.join(" | ")} |`,
        `|${columns.map(() => "---").join("|")}|`,
        ...rows.map((r) =>
          `| ${
            r.map((x) =>
              x === null ? "—" : typeof x === "object" ? formatIntervalCell(x) : String(x)
            ).join(" | ")
          } |`
        ),
        "",
        note,
        "",
        "## Verdict",
        "",
        "From the 95% interval of the paired difference (same seed, two arms): Reproduced when it " +
        "excludes 0 on the paper's side, Contradicted when on the other, else Inconclusive.",
        "",
        ...verdict.map((x) => `- ${x}`),
        "",
        "## Figures",
        "",
        ...teacher.map((t) => `![teacher DDIM-${t.steps}](grid_teacher_ddim${t.steps}.png)`),
        ...arms.map((a) => `![${a.name}](grid_${a.name}.png)`),
        "",
        "![generator loss](loss_generator.png) ![fake-score loss](loss_fake.png) ![loss parts](loss_parts.png)",
        "",
      ];
      await fsys.writeTextFile(join(dir, "report.md"), md.join("\n"));
      await fsys.writeTextFile(
        join(dir, "data.json"),
        JSON.stringify(
          {
            teacher: teacher.map((t) => ({ steps: t.steps, ...t.e.data })),
            arms: results.map(({ gen: _g, dir: _d, ...a }) => a),
            verdict,
          },
          null,
          2,
        ) + "\n",
      );
      return { dir };
    }),
});
