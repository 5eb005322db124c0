/**
 * The sampling (forward-only) and quickstart-model rows of bench/engine.ts.
 *
 * Sampling throughput = images × denoiser steps per second: batch / median time of one forward
 * pass, the quantity a sampler's wall time divides into. Each forward runs per-op (one small ORT
 * session per kernel) and with graph capture (src/engine/ort/graphCapture.ts: one whole graph per
 * shape), in the same process. The quickstart's model is src/models/unet.ts with the quickstart
 * pipeline's config (conditional, widths [32, 64], 16×16×3, 6 classes), trained with the bench's
 * step (ε-MSE, Adam; engine_training.ts) at batch 32, per-op and captured, and sampled at the
 * evaluate stage's batch (128); bench/engine_torch_quickstart.py is its PyTorch twin.
 */
import { tf } from "../src/tensor/tf.ts";
import {
  capturedFraction,
  captureForward,
  captureStats,
  resetCaptureStats,
} from "../src/engine/ort/graphCapture.ts";
import { createUNet as createModelUNet } from "../src/models/unet.ts";
import type { ParamStore } from "../src/models/params.ts";
import { BENCH_UNET, createUNet } from "./unet.ts";
import { timeTraining, type TrainModel } from "./engine_training.ts";
import { timeStageStep } from "./engine_stageStep.ts";
import { QUICKSTART_MODEL, QUICKSTART_SIZE } from "./quickstartModel.ts";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function timeForward(run: () => tf.Tensor, steps: number, warmup: number): number {
  const times: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    const out = tf.tidy(run);
    out.dataSync();
    out.dispose();
    if (i >= warmup) times.push((performance.now() - t0) / 1000);
  }
  return median(times);
}

export interface SamplingRow {
  readonly model: string;
  readonly batch: number;
  /** images × steps per second, per-op and captured */
  readonly perOp: number;
  readonly captured: number;
  /** share of kernel executions that ran inside whole graphs during the captured runs */
  readonly capturedFraction: number | null;
  readonly graphRunsPerForward: number;
}

function measure(
  model: string,
  batch: number,
  fn: (...xs: tf.Tensor[]) => tf.Tensor,
  params: () => tf.Tensor[],
  inputs: tf.Tensor[],
  steps: number,
  warmup: number,
): SamplingRow {
  const perOp = batch / timeForward(() => fn(...inputs), steps, warmup);
  const cap = captureForward(fn, { key: `bench:${model}`, params });
  tf.tidy(() => cap(...inputs)).dispose(); // records the graph (not timed)
  resetCaptureStats();
  const captured = batch / timeForward(() => cap(...inputs), steps, Math.max(1, warmup));
  return {
    model,
    batch,
    perOp,
    captured,
    capturedFraction: capturedFraction(),
    graphRunsPerForward: captureStats.graphRuns / Math.max(1, captureStats.replays),
  };
}

/** Forward throughput of the bench UNet (bench/unet.ts) at each batch. */
export function benchUNetSampling(batches: readonly number[], steps: number, warmup: number) {
  const net = createUNet(BENCH_UNET, 1);
  const vars = [...net.params.values()];
  const rows = batches.map((b) => {
    const x = tf.randomNormal([b, 32, 32, 1], 0, 1, "float32", 3) as tf.Tensor4D;
    const t = tf.fill([b], 500) as tf.Tensor1D;
    const row = measure(
      "bench UNet",
      b,
      (x, t) => net.apply(x as tf.Tensor4D, t as tf.Tensor1D),
      () => vars,
      [x, t],
      steps,
      warmup,
    );
    tf.dispose([x, t]);
    return row;
  });
  tf.dispose(vars);
  return rows;
}

const paramList = (p: ParamStore) => {
  const names = p.names();
  return () => names.map((n) => p.get(n));
};

/** The quickstart model: training steps per second (batch `trainBatch`) and sampling rows. */
export function quickstartBench(
  trainBatch: number,
  sampleBatch: number,
  steps: number,
  warmup: number,
) {
  const net = createModelUNet(QUICKSTART_MODEL, 1);
  const vars = net.params.names().map((n) => net.params.get(n));
  const s = QUICKSTART_SIZE;
  // training: the bench's step on the quickstart's model and shapes, per-op and captured
  const model: TrainModel = {
    forward: (x, t, y) => net.forward(x, t, y),
    vars,
    image: [s, s, 3],
    classes: QUICKSTART_MODEL.numClasses,
  };
  const train = timeTraining(model, trainBatch, steps, warmup, false);
  const trainCaptured = timeTraining(model, trainBatch, steps, warmup, true);
  // sampling: conditional forward passes at the evaluate stage's batch
  const x = tf.randomNormal([sampleBatch, s, s, 3], 0, 1, "float32", 3);
  const t = tf.fill([sampleBatch], 500);
  const y = tf.randomUniform([sampleBatch], 0, 6, "int32", 4);
  const sampling = measure(
    "quickstart UNet",
    sampleBatch,
    (x, t, y) => net.forward(x as tf.Tensor4D, t as tf.Tensor1D, y as tf.Tensor1D),
    paramList(net.params),
    [x, t, y],
    steps,
    warmup,
  );
  tf.dispose([x, t, y]);
  const params = net.parameterCount();
  net.params.dispose();
  return { train, trainCaptured, sampling, params };
}

/** The train-diffusion stage's own step on the quickstart model, per-op and captured. */
export async function quickstartStageBench(batch: number, steps: number, warmup: number) {
  return {
    perOp: await timeStageStep(batch, steps, warmup, false),
    captured: await timeStageStep(batch, steps, warmup, true),
  };
}

/** a / b to 3 decimals, null when either is missing. */
export const ratio = (a: number | null | undefined, b: number | null | undefined) =>
  a == null || b == null || !Number.isFinite(a) ? null : Number((a / b).toFixed(3));

const r4 = (v: number | null | undefined) => (v == null ? null : Number(v.toFixed(4)));

/** The markdown table of the sampling rows, with PyTorch's figure for each. */
export function samplingTable(
  rows: readonly SamplingRow[],
  torch: (row: SamplingRow) => number | undefined,
): string {
  const lines = [
    "\n| forward only (sampling) | batch | per-op img·steps/s | captured img·steps/s | " +
    "torch no_grad | per-op / torch | captured / torch | captured kernels | graphs per " +
    "forward |\n|---|---|---|---|---|---|---|---|---|",
  ];
  for (const row of rows) {
    const t = torch(row);
    const share = row.capturedFraction === null
      ? "-"
      : `${(100 * row.capturedFraction).toFixed(1)} %`;
    lines.push(
      `| ${row.model} | ${row.batch} | ${row.perOp.toFixed(1)} | ${row.captured.toFixed(1)} | ` +
        `${t?.toFixed(1) ?? "-"} | ${ratio(row.perOp, t) ?? "-"} | ` +
        `${ratio(row.captured, t) ?? "-"} | ${share} | ${row.graphRunsPerForward.toFixed(0)} |`,
    );
  }
  return lines.join("\n");
}

/** One sampling row of the bench's JSON line. */
export function samplingJson(row: SamplingRow, torch: number | undefined) {
  return {
    model: row.model,
    batch: row.batch,
    per_op_images_steps_per_s: r4(row.perOp),
    captured_images_steps_per_s: r4(row.captured),
    torch_images_steps_per_s: r4(torch),
    per_op_ratio: ratio(row.perOp, torch),
    captured_ratio: ratio(row.captured, torch),
    captured_fraction: r4(row.capturedFraction),
  };
}
