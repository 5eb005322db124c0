/**
 * `deno task bench dmd`: throughput of the DMD study's two costs on the quick profile's shapes
 * (Fashion-MNIST 28×28×1, 10 classes, the conditional UNet 16/32/32 with one residual block per
 * level): regression pairs per second (DDIM-50 by default, with and without CFG) and seconds
 * per generator step of each arm at batch 32. Random weights: the cost does not depend on them.
 *
 * Env: BENCH_PAIRS (pairs per measurement, default 64), BENCH_PAIR_STEPS (50),
 * BENCH_DISTILL_STEPS (steps per arm, default 3, after one warm-up step), BENCH_BATCH (32).
 */
import { tf } from "../src/tensor/tf.ts";
import { selectBackend } from "../src/engine/backend.ts";
import * as v from "valibot";
import { buildDenoiser, ModelSpecSchema } from "../src/stages/models.ts";
import { createClassifier } from "../src/models/classifier.ts";
import { makeSchedule } from "../src/diffusion/schedules.ts";
import { cfg, clipDenoiser, makeDenoiser, type ModelFn } from "../src/diffusion/denoiser.ts";
import { sample } from "../src/diffusion/samplers.ts";
import { makeRng } from "../src/diffusion/rng.ts";
import { makeDistiller } from "../src/distill/distiller.ts";
import { DMD_ARMS, type DmdArm, dmdPipeline } from "../pipelines/dmd.ts";

const dmdPipelineDefaults = v.parse(dmdPipeline.params, { data: { source: "shapes", n: 2 } });

const env = (k: string, d: number) => Number(Deno.env.get(k) ?? d);

export async function main(): Promise<Record<string, number>> {
  const engine = await selectBackend("ort", {});
  const [h, w, c, classes] = [28, 28, 1, 10];
  const n = h * w * c;
  // the quick profile's teacher, defaults filled exactly as the pipeline fills them
  const spec = v.parse(ModelSpecSchema, dmdPipelineDefaults.model);
  const data = { channels: c, imageSize: h, numClasses: classes };
  const teacher = buildDenoiser(spec, data, 1);
  const schedule = makeSchedule({ family: "cosine" });
  const raw: ModelFn = (x, t, y) => teacher.forward(x as tf.Tensor4D, t, y as tf.Tensor1D);
  const nullCond = tf.tensor1d([classes], "int32");
  const result: Record<string, number> = {};
  const pairs = env("BENCH_PAIRS", 64), steps = env("BENCH_PAIR_STEPS", 50);
  const rng = makeRng(0);
  for (const guidance of [1, 2]) {
    const den = clipDenoiser(
      makeDenoiser(guidance === 1 ? raw : cfg(raw, guidance, nullCond), "x0", schedule),
    );
    const run = (b: number) =>
      tf.tidy(() => {
        const xT = tf.tensor4d(rng.normal(b * n), [b, h, w, c]);
        const y = tf.tensor1d(Int32Array.from({ length: b }, (_, i) => i % classes), "int32");
        sample("ddim", den, xT, schedule, { steps }, y).dataSync();
      });
    run(8); // warm-up: kernel sessions
    const t0 = performance.now();
    for (let i = 0; i < pairs; i += 128) run(Math.min(128, pairs - i));
    const s = (performance.now() - t0) / 1000;
    result[`pairsPerSecond_ddim${steps}_cfg${guidance}`] = pairs / s;
    console.log(
      `regression pairs, DDIM-${steps}, guidance ${guidance}: ${(pairs / s).toFixed(2)} pairs/s`,
    );
  }
  const B = env("BENCH_BATCH", 32), reps = env("BENCH_DISTILL_STEPS", 3);
  const classifier = createClassifier({ channels: c, numClasses: classes }, 2);
  const pairSet = {
    n: 64,
    z: rng.normal(64 * n),
    labels: Int32Array.from({ length: 64 }, (_, i) => i % classes),
    y: rng.uniform(64 * n, -1, 1),
  };
  for (const name of Object.keys(DMD_ARMS) as DmdArm[]) {
    const arm = DMD_ARMS[name];
    const generator = teacher.clone();
    const fake = arm.matching ? teacher.clone() : null;
    const opt = { ...{ beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 }, lr: 1e-5 };
    const d = makeDistiller({
      generator,
      fake,
      teacher,
      classifier: arm.regression ? classifier : null,
      pairs: arm.regression ? pairSet : null,
    }, {
      schedule,
      target: "x0",
      numClasses: classes,
      imageShape: [h, w, c],
      batchSize: B,
      guidance: 2,
      matching: arm.matching,
      lambdaReg: arm.regression ? 0.25 : 0,
      ratio: arm.ratio,
      tRange: [0.02, 0.98],
      seed: 0,
      generatorOpt: { ...opt, warmupSteps: 0, gradClip: 1 },
      fakeOpt: { ...opt, warmupSteps: 0, gradClip: 1 },
    });
    d.step(0);
    const t0 = performance.now();
    for (let i = 1; i <= reps; i++) d.step(i);
    const s = (performance.now() - t0) / 1000 / reps;
    result[`secondsPerStep_${name}`] = s;
    console.log(`generator step, ${arm.describe}, batch ${B}, CFG 2: ${s.toFixed(3)} s`);
    d.dispose();
    generator.params.dispose();
    fake?.params.dispose();
  }
  console.log(JSON.stringify({ bench: "dmd", engine: engine.backend, ...result }));
  return result;
}

if (import.meta.main) await main();
