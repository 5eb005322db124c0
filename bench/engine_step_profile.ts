/**
 * Where the time of one real training step goes (the train-diffusion stage's step: diffusionStep
 * with the captured loss, AdamW and EMA) on the quickstart model at batch 32: median step time,
 * time per ORT graph (captured programs and per-op sessions), and the rest (JS, tfjs dispatch).
 *
 *   deno run -A bench/engine_step_profile.ts [steps]
 *   DIFFRUN_ORT_PROFILE='^capture#' deno run -A bench/engine_step_profile.ts [steps]
 *
 * With DIFFRUN_ORT_PROFILE, ORT's per-node profile of the captured programs is summed by op type
 * (bench/engine_graph_profile.ts); KEEP_PROFILE=1 leaves the ort_profile_*.json files instead.
 * BENCH_BATCH changes the batch.
 */
import { selectBackend } from "../src/engine/backend.ts";
import { profileGraphs } from "../src/engine/ort/sessionCache.ts";
import { diffusionStep } from "../src/train/diffusionStep.ts";
import { stageBatch, stageStepSetup } from "./engine_stageStep.ts";

const steps = Math.max(3, Number(Deno.args[0] ?? 10));
const batch = Number(Deno.env.get("BENCH_BATCH") ?? 32);
await selectBackend("ort");
const { setup } = stageStepSetup(true);
const data = stageBatch(batch);
const times: number[] = [];
for (let i = 0; i < steps + 3; i++) {
  if (i === 3) profileGraphs(true);
  const t0 = performance.now();
  await diffusionStep(setup, i, data);
  if (i >= 3) times.push(performance.now() - t0);
}
const graphs = profileGraphs(false);
times.sort((a, b) => a - b);
const total = times.reduce((a, b) => a + b, 0);
const median = times[Math.floor(times.length / 2)]!;
console.log(
  `batch ${batch}: median step ${median.toFixed(1)} ms (${
    (1000 / median).toFixed(2)
  } steps/s), mean ${(total / steps).toFixed(1)} ms`,
);
let inGraphs = 0;
const rows = [...graphs].sort((a, b) => b[1].ms - a[1].ms);
for (const [, g] of rows) inGraphs += g.ms;
console.log(
  `inside ORT runs: ${(inGraphs / steps).toFixed(1)} ms/step; outside: ${
    ((total - inGraphs) / steps).toFixed(1)
  } ms/step`,
);
for (const [key, g] of rows.slice(0, 12)) {
  console.log(
    `${(g.ms / steps).toFixed(2).padStart(8)} ms/step ${
      (g.calls / steps).toFixed(1).padStart(6)
    } calls/step  ${key.slice(0, 90)}`,
  );
}
console.log(
  `graphs: ${rows.length}, calls/step ${
    (rows.reduce((a, [, g]) => a + g.calls, 0) / steps).toFixed(0)
  }`,
);
if (Deno.env.get("DIFFRUN_ORT_PROFILE")) {
  if (Deno.env.get("KEEP_PROFILE")) {
    (await import("../src/engine/ort/graphCapture.ts")).clearCapturedPrograms();
    Deno.exit(0);
  }
  const { clearCapturedPrograms } = await import("../src/engine/ort/graphCapture.ts");
  const { opTable } = await import("./engine_graph_profile.ts");
  clearCapturedPrograms();
  await opTable(`quickstart UNet, training step, batch ${batch}`, steps + 2);
}
