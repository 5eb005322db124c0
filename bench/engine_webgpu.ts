/**
 * `deno task bench engine --backend webgpu [--steps N] [--batch B]`: the engine bench's UNet
 * (bench/unet.ts, 2.95M parameters, 32×32×1, Adam) on the webgpu backend.
 *
 * Correctness: the same seeded steps run on ort first; every step's loss on webgpu is compared
 * with ort's (relative difference). Then the time per step on webgpu (median of the timed steps
 * after one warm-up). On a software adapter (llvmpipe/lavapipe) every line says so: those times
 * are CPU emulation, not GPU speed. Ends with one JSON line. Defaults: batch 8, 3 steps.
 */
import { tf } from "../src/tensor/tf.ts";
import { selectBackend } from "../src/engine/backend.ts";
import { trainer } from "./engine_trainer.ts";

const value = (args: readonly string[], flag: string, fallback: number): number => {
  const i = args.indexOf(`--${flag}`);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 1) {
    throw new Error(`--${flag}: a positive integer, got ${args[i + 1]}`);
  }
  return v;
};

/** Losses of `steps` training steps from the same seeds, and the seconds each took. */
const run = async (batch: number, steps: number) => {
  const tr = trainer(batch);
  const losses: number[] = [], seconds: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    losses.push(await tr.stepAsync());
    seconds.push((performance.now() - t0) / 1000);
  }
  tr.dispose();
  return { losses, seconds };
};

export async function benchWebgpu(args: readonly string[]): Promise<void> {
  const known = new Set(["--steps", "--batch"]);
  const unknown = args.filter((a) => a.startsWith("--") && !known.has(a));
  if (unknown.length > 0) throw new Error(`bench engine --backend webgpu: unknown ${unknown}`);
  const batch = value(args, "batch", 8);
  const steps = value(args, "steps", 3) + 1; // + one warm-up
  await selectBackend("ort");
  const ort = await run(batch, steps);
  const id = await selectBackend("webgpu");
  const adapter = id.adapter!;
  const label = adapter.isFallbackAdapter
    ? `SOFTWARE GPU ${adapter.description} (CPU emulation, not GPU speed)`
    : `hardware GPU ${adapter.description || adapter.vendor}`;
  console.log(`# engine bench on webgpu: ${label}; batch ${batch}, ${steps - 1} timed steps`);
  const gpu = await run(batch, steps);
  console.log("\n| step | ort loss | webgpu loss | relative difference | webgpu s/step |");
  console.log("|---|---|---|---|---|");
  const diffs = gpu.losses.map((l, i) => Math.abs(l - ort.losses[i]!) / Math.abs(ort.losses[i]!));
  gpu.losses.forEach((l, i) =>
    console.log(
      `| ${i}${i === 0 ? " (warm-up)" : ""} | ${ort.losses[i]!.toFixed(6)} | ${l.toFixed(6)} | ` +
        `${diffs[i]!.toExponential(2)} | ${gpu.seconds[i]!.toFixed(2)} |`,
    )
  );
  const timed = gpu.seconds.slice(1).sort((a, b) => a - b);
  const median = timed[Math.floor(timed.length / 2)]!;
  const ortTimed = ort.seconds.slice(1).sort((a, b) => a - b);
  console.log(
    `\nwebgpu ${median.toFixed(2)} s/step (${label}); ort on this CPU ` +
      `${ortTimed[Math.floor(ortTimed.length / 2)]!.toFixed(2)} s/step; ` +
      `largest loss difference ${
        Math.max(...diffs).toExponential(2)
      }; live tensors ${tf.memory().numTensors}`,
  );
  console.log(JSON.stringify({
    bench: "engine",
    backend: "webgpu",
    software: adapter.isFallbackAdapter,
    adapter: adapter.description,
    batch,
    webgpu_s_per_step: Number(median.toFixed(3)),
    ort_s_per_step: Number(ortTimed[Math.floor(ortTimed.length / 2)]!.toFixed(3)),
    max_loss_rel_diff: Math.max(...diffs),
  }));
}
