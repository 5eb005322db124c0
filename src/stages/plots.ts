/**
 * Plot stages: the training curves of a diffusion model as SVG (and PNG beside it).
 */
import * as v from "valibot";
import * as Effect from "effect/Effect";
import { join } from "node:path";
import { defineStage } from "../core/stage.ts";
import { files } from "../core/codec.ts";
import type { ModelBundle } from "./codecs.ts";
import type { TrainedConfig } from "./trainDiffusion.ts";
import { lineChart } from "../plot/lineChart.ts";
import { svgToPng } from "../plot/png.ts";
import * as fsys from "../platform/fs.ts";

/** Running mean over `k` points, so a noisy per-step loss reads as a curve. */
export const smooth = (points: readonly [number, number][], k: number): [number, number][] =>
  points.map(([x], i) => {
    const window = points.slice(Math.max(0, i - k + 1), i + 1);
    return [x, window.reduce((a, [, y]) => a + y, 0) / window.length];
  });

export const plotTrainingStage = defineStage({
  name: "plot-training",
  version: "1",
  module: import.meta.url,
  params: v.strictObject({}),
  inputs: ["model"],
  output: files,
  seeded: false,
  run: (ctx, _p, inputs: { model: ModelBundle<TrainedConfig> }) =>
    Effect.promise(async () => {
      const rows = ((inputs.model.info.history as { rows?: number[][] } | undefined)?.rows) ?? [];
      const loss = rows.map((r) => [r[0]!, r[1]!] as [number, number]);
      const x0 = rows.map((r) => [r[0]!, r[2]!] as [number, number]);
      const k = Math.max(1, Math.floor(rows.length / 50));
      const svg = lineChart({
        title: "Training loss",
        subtitle: String(inputs.model.info.weighting ?? ""),
        xLabel: "training step",
        yLabel: "loss (mean over the batch)",
        yScale: "log",
        series: [
          { name: `weighted loss, running mean of ${k}`, points: smooth(loss, k) },
          { name: `unweighted x0-MSE, running mean of ${k}`, points: smooth(x0, k), dashed: true },
        ],
      });
      await fsys.writeTextFile(join(ctx.scratchDir, "loss.svg"), svg);
      await svgToPng(svg, join(ctx.scratchDir, "loss.png"));
      return { dir: ctx.scratchDir };
    }),
});
