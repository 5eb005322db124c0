/**
 * The train-diffusion stage's own step on the quickstart model (src/train/diffusionStep.ts: cosine
 * schedule, ε target with min-SNR-5 weights, label dropout 0.1, the captured loss and gradients,
 * AdamW with clipping, EMA 0.995), for bench/engine.ts's "stage step" row and
 * bench/engine_step_profile.ts. Its PyTorch twin is train_speed_quickstart_stage in
 * bench/engine_torch.py. Medians over `steps` timed steps after `warmup` (and, captured, after
 * the eager and the recording step).
 */
import { capturedFraction, resetCaptureStats } from "../src/engine/ort/graphCapture.ts";
import { createUNet } from "../src/models/unet.ts";
import { makeAdamW } from "../src/train/adamw.ts";
import { makeEma } from "../src/train/ema.ts";
import { capturedLossAndGrads } from "../src/train/capturedLoss.ts";
import { diffusionStep, type DiffusionStepSetup } from "../src/train/diffusionStep.ts";
import { makeSchedule } from "../src/diffusion/schedules.ts";
import { lossMultiplierTable, resolveWeighting } from "../src/diffusion/weightings.ts";
import { QUICKSTART_MODEL, QUICKSTART_SIZE } from "./quickstartModel.ts";

/** A fresh model, optimiser and EMA with the quickstart's settings; `dispose` frees them. */
export function stageStepSetup(captured: boolean) {
  const model = createUNet(QUICKSTART_MODEL, 1);
  const schedule = makeSchedule({ family: "cosine" });
  const weighting = resolveWeighting({ strategy: "min-snr", gamma: 5 }, "eps");
  const optimizer = makeAdamW(model.params, {
    lr: 1e-3,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    weightDecay: 0,
    warmupSteps: 100,
    gradClip: 1,
  });
  const ema = makeEma(model.params, 0.995);
  const s = QUICKSTART_SIZE;
  const setup: DiffusionStepSetup = {
    params: model.params,
    forward: model.forward,
    optimizer,
    ema,
    schedule,
    target: "eps",
    multipliers: lossMultiplierTable(weighting, schedule),
    seed: 0,
    classes: QUICKSTART_MODEL.numClasses,
    labelDropout: 0.1,
    imageShape: [s, s, 3],
    ...(captured
      ? {
        lossAndGrads: capturedLossAndGrads({
          trainable: model.params,
          read: () => model.params.names().map((n) => model.params.get(n)),
          forward: model.forward,
          target: "eps",
          key: "bench-stage-step",
        }),
      }
      : {}),
  };
  const dispose = () => {
    optimizer.dispose();
    ema.params.dispose();
    model.params.dispose();
  };
  return { setup, dispose };
}

/** One fixed batch of `size` images (the step's randomness comes from (seed, step) anyway). */
export function stageBatch(size: number) {
  const s = QUICKSTART_SIZE;
  const images = Float32Array.from({ length: size * s * s * 3 }, (_, i) => Math.sin(i * 0.37));
  const labels = Int32Array.from({ length: size }, (_, i) => i % QUICKSTART_MODEL.numClasses);
  return { images, labels, size };
}

/** Steps per second of the stage's step, captured or with every kernel per-op. */
export async function timeStageStep(
  batch: number,
  steps: number,
  warmup: number,
  captured: boolean,
): Promise<{ stepsPerS: number; capturedFraction: number | null }> {
  const saved = Deno.env.get("DIFFRUN_GRAPH_CAPTURE");
  if (!captured) Deno.env.set("DIFFRUN_GRAPH_CAPTURE", "0"); // AdamW and EMA capture by themselves
  try {
    const { setup, dispose } = stageStepSetup(captured);
    const data = stageBatch(batch);
    const untimed = (captured ? 2 : 0) + warmup;
    const times: number[] = [];
    for (let i = 0; i < untimed + steps; i++) {
      if (i === untimed) resetCaptureStats();
      const t0 = performance.now();
      await diffusionStep(setup, i, data);
      if (i >= untimed) times.push((performance.now() - t0) / 1000);
    }
    times.sort((a, b) => a - b);
    const fraction = captured ? capturedFraction() : null;
    dispose();
    return { stepsPerS: 1 / times[Math.floor(times.length / 2)]!, capturedFraction: fraction };
  } finally {
    if (saved === undefined) Deno.env.delete("DIFFRUN_GRAPH_CAPTURE");
    else Deno.env.set("DIFFRUN_GRAPH_CAPTURE", saved);
  }
}
