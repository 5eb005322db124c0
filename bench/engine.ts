/**
 * Engine benchmark: trains the fixed 2.9M-parameter UNet of bench/unet.ts (batch 64, 32×32×1,
 * Adam) on the `ort` backend, per-op and as a captured whole step, measures forward-only
 * (sampling) throughput at batch 64 and 256 per-op and captured (engine_sampling.ts), and the
 * quickstart's model at its own shapes (training batch 32 with the bench's step and with the
 * train-diffusion stage's own step, engine_stageStep.ts; sampling batch 128), and compares each
 * with the same network in PyTorch in the same run (bench/engine_torch.py and
 * engine_torch_quickstart.py, run with /usr/bin/python3 when `import torch` works there;
 * forward passes under torch.no_grad()).
 *
 * Prints: a per-kernel microbenchmark table (GFLOP/s for ort, cpu, torch), a kernel-time profile
 * of one training step, per step the live tensor count, RSS, glibc's in-use and free-but-kept
 * bytes, the ORT output pool and V8's external bytes, and as its last line one JSON object
 * {"diffrun_steps_per_s", "torch_steps_per_s", "ratio", "captured_steps_per_s", "captured_ratio",
 * "sampling": [{model, batch, per_op_…, captured_…, torch_images_steps_per_s, per_op_ratio,
 * captured_ratio, captured_fraction}], "quickstart_…_ratio", "quickstart_stage_…_ratio",
 * "quickstart_stage_captured_fraction", "backend", "rss_mb_at_step", …}
 * (ratios null + reason without torch).
 * The training loop runs under the engine's leak guard (tensor count and RSS), so a leaking step
 * fails the bench with TensorLeakError or RssGrowthError. Run it alone: two multi-threaded jobs on 2 cores slow each other several-fold.
 *
 * Options (flag or environment variable): --steps / BENCH_STEPS (timed steps, default 5),
 * --warmup / BENCH_WARMUP (default 1), --batch / BENCH_BATCH (default 64), --threads /
 * BENCH_THREADS (default: all cores), --micro-reps / BENCH_MICRO_REPS (3), --no-torch
 * (BENCH_TORCH=0), --no-micro (BENCH_MICRO=0), --no-profile (BENCH_PROFILE=0), --graphs (list
 * every ORT graph of the profiled step, not only the top 15), --no-tune-malloc
 * (BENCH_TUNE_MALLOC=0: keep glibc's default thresholds), --pool-cap MiB / BENCH_POOL_CAP (the ORT
 * output buffer pool's cap; 0 = no pooling), --no-train (BENCH_TRAIN=0), --no-sampling
 * (BENCH_SAMPLING=0), --no-quickstart (BENCH_QUICKSTART=0).
 */
import { tf } from "../src/tensor/tf.ts";
import { selectBackend } from "../src/engine/backend.ts";
import { startKernelProfile } from "../src/engine/kernelProfiler.ts";
import { createLeakGuard } from "../src/engine/leakGuard.ts";
import { kernelCounts } from "../src/engine/ort/kernels/util.ts";
import { ortStats, profileGraphs, sessionCount } from "../src/engine/ort/sessionCache.ts";
import { pooledMegabytes, setPoolCap } from "../src/engine/ort/bufferPool.ts";
import { type MemorySnapshot, memorySnapshot, trimMalloc } from "../src/engine/memoryStats.ts";
import { BENCH_UNET, createUNet } from "./unet.ts";
import { trainer } from "./engine_trainer.ts";
import { MICRO_CASES, runMicro } from "./engine_micro.ts";
import {
  benchUNetSampling,
  quickstartBench,
  quickstartStageBench,
  ratio,
  samplingJson,
  type SamplingRow,
  samplingTable,
} from "./engine_sampling.ts";
import { timeTraining, type TrainTiming } from "./engine_training.ts";

const cores = Math.max(1, navigator.hardwareConcurrency || 1);

function parseOptions(args: readonly string[]) {
  const option = (flag: string, env: string, fallback: number): number => {
    const i = args.indexOf(`--${flag}`);
    const raw = i >= 0 ? args[i + 1] : Deno.env.get(env);
    if (raw === undefined || raw === "") return fallback;
    const v = Number(raw);
    if (!Number.isFinite(v) || v < 0) throw new Error(`--${flag} / ${env}: not a number: ${raw}`);
    return v;
  };
  const has = (flag: string) => args.includes(`--${flag}`);
  const known = new Set([
    "--steps",
    "--warmup",
    "--batch",
    "--threads",
    "--micro-reps",
    "--no-torch",
    "--no-micro",
    "--no-profile",
    "--graphs",
    "--no-tune-malloc",
    "--pool-cap",
    "--no-sampling",
    "--no-quickstart",
    "--no-train",
  ]);
  const unknown = args.filter((a) => a.startsWith("--") && !known.has(a));
  if (unknown.length > 0) throw new Error(`bench engine: unknown option(s) ${unknown.join(" ")}`);
  return {
    steps: Math.max(1, option("steps", "BENCH_STEPS", 5)),
    warmup: option("warmup", "BENCH_WARMUP", 1),
    batch: option("batch", "BENCH_BATCH", 64),
    threads: option("threads", "BENCH_THREADS", cores),
    microReps: Math.max(1, option("micro-reps", "BENCH_MICRO_REPS", 3)),
    torch: !has("no-torch") && Deno.env.get("BENCH_TORCH") !== "0",
    micro: !has("no-micro") && Deno.env.get("BENCH_MICRO") !== "0",
    profile: !has("no-profile") && Deno.env.get("BENCH_PROFILE") !== "0",
    graphs: has("graphs"),
    train: !has("no-train") && Deno.env.get("BENCH_TRAIN") !== "0",
    sampling: !has("no-sampling") && Deno.env.get("BENCH_SAMPLING") !== "0",
    quickstart: !has("no-quickstart") && Deno.env.get("BENCH_QUICKSTART") !== "0",
    tuneMalloc: !has("no-tune-malloc") && Deno.env.get("BENCH_TUNE_MALLOC") !== "0",
    /** MiB kept by the ORT output buffer pool; undefined = the engine's default. */
    poolCapMb: args.includes("--pool-cap") || Deno.env.get("BENCH_POOL_CAP")
      ? option("pool-cap", "BENCH_POOL_CAP", 0)
      : undefined,
  };
}
type Options = ReturnType<typeof parseOptions>;
const log = (s: string) => console.log(s);
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

// ---- PyTorch reference (run first: it is the slowest to start and independent of us) ----
const SAMPLE_BATCHES = [64, 256];
const QS_TRAIN_BATCH = 32, QS_SAMPLE_BATCH = 128; // the quickstart: train batch 32, evaluate batch 128

interface TorchResult {
  steps_per_s?: number;
  sample_images_per_s?: Record<string, number>;
  quickstart?: {
    steps_per_s: number;
    params: number;
    sample_images_per_s: number;
    /** The train-diffusion stage's step (AdamW, clipping, EMA, min-SNR weights). */
    stage_steps_per_s?: number;
  };
  micro?: Record<string, number>;
  params?: number;
  error?: string;
}
async function runTorch(opts: Options): Promise<TorchResult> {
  const script = new URL("./engine_torch.py", import.meta.url).pathname;
  try {
    const out = await new Deno.Command("/usr/bin/python3", {
      args: [
        script,
        `--steps=${opts.steps}`,
        `--warmup=${opts.warmup}`,
        `--batch=${opts.batch}`,
        `--threads=${opts.threads}`,
        `--micro=${opts.micro ? 1 : 0}`,
        `--micro-reps=${opts.microReps}`,
        `--train=${opts.train ? 1 : 0}`,
        `--sample-batches=${opts.sampling ? SAMPLE_BATCHES.join(",") : ""}`,
        `--quickstart=${opts.quickstart ? 1 : 0}`,
        `--qs-train-batch=${QS_TRAIN_BATCH}`,
        `--qs-sample-batch=${QS_SAMPLE_BATCH}`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
    if (!out.success) {
      const err = new TextDecoder().decode(out.stderr).trim().split("\n").pop();
      return { error: `engine_torch.py failed: ${err}` };
    }
    return JSON.parse(text) as TorchResult;
  } catch (e) {
    return { error: `could not run /usr/bin/python3: ${(e as Error).message}` };
  }
}

/**
 * Runs the benchmark. `args` are the flags above (`deno run -A bench/engine.ts --steps 2`);
 * through `deno task bench engine`, use the environment variables (`BENCH_STEPS=2`).
 */
export async function main(args: readonly string[] = Deno.args): Promise<void> {
  const backendAt = args.indexOf("--backend");
  if (backendAt >= 0 && args[backendAt + 1] === "webgpu") {
    const { benchWebgpu } = await import("./engine_webgpu.ts");
    return await benchWebgpu(args.filter((_, i) => i !== backendAt && i !== backendAt + 1));
  }
  if (backendAt >= 0 && args[backendAt + 1] !== "ort") {
    throw new Error(`bench engine: --backend must be ort (default) or webgpu`);
  }
  const opts = parseOptions(args.filter((_, i) => i !== backendAt && i !== backendAt + 1));
  log(
    `# diffrun engine bench: batch ${opts.batch}, ${opts.steps} timed steps after ` +
      `${opts.warmup} warm-up, ${opts.threads} threads, ${cores} cores`,
  );
  const torchPromise: Promise<TorchResult> = opts.torch
    ? runTorch(opts)
    : Promise.resolve({ error: "disabled (--no-torch)" });
  // torch runs first and alone; we wait for it so the two never share the cores
  const torch = await torchPromise;

  const id = await selectBackend("ort", { threads: opts.threads, tuneMalloc: opts.tuneMalloc });
  if (opts.poolCapMb !== undefined) setPoolCap(opts.poolCapMb * 2 ** 20);
  log(`glibc thresholds raised: ${opts.tuneMalloc}; pool cap: ${opts.poolCapMb ?? "default"} MiB`);
  log(`engine: ${JSON.stringify(id)}`);
  let median = NaN;
  let memory: ReturnType<typeof memorySeries> | Record<string, never> = {};
  if (opts.train) {
    const tr = trainer(opts.batch);
    log(`UNet parameters: ${tr.net.paramCount}${torch.params ? ` (torch: ${torch.params})` : ""}`);

    const guard = createLeakGuard({ window: Math.max(2, Math.min(10, opts.steps)), warmup: 1 });
    log(
      "\n| step | s/step | loss | live tensors | RSS MB | malloc in use MB | malloc free MB | " +
        "pool MB | V8 external MB |\n|---|---|---|---|---|---|---|---|---|",
    );
    const snaps: MemorySnapshot[] = [];
    const times: number[] = [];
    for (let i = 0; i < opts.warmup + opts.steps; i++) {
      const t0 = performance.now();
      const loss = tr.step();
      const s = (performance.now() - t0) / 1000;
      if (i >= opts.warmup) times.push(s);
      const live = guard.check();
      const mem = memorySnapshot();
      snaps.push(mem);
      const opt = (v: number | undefined) => v === undefined ? "-" : mb(v);
      log(
        `| ${i}${i < opts.warmup ? " (warm-up)" : ""} | ${s.toFixed(2)} | ${loss.toFixed(4)} | ` +
          `${live} | ${mb(mem.rss)} | ${opt(mem.mallocInUse)} | ${opt(mem.mallocFree)} | ` +
          `${pooledMegabytes().toFixed(0)} | ${mb(mem.external)} |`,
      );
    }
    memory = memorySeries(snaps);
    log(
      `RSS (MB) after step: ${JSON.stringify(memory.rss_mb_at_step)}; ` +
        `growth over the last half: ${memory.rss_growth_last_half_mb} MB; malloc in use (MB) ` +
        `after step: ${JSON.stringify(memory.malloc_in_use_mb_at_step ?? "-")}`,
    );
    const before = memorySnapshot();
    if (trimMalloc()) {
      const after = memorySnapshot();
      log(
        `malloc_trim(0): RSS ${mb(before.rss)} → ${mb(after.rss)} MB ` +
          `(malloc free ${mb(before.mallocFree ?? 0)} → ${mb(after.mallocFree ?? 0)} MB)`,
      );
    }
    times.sort((a, b) => a - b);
    median = times[Math.floor(times.length / 2)] ?? NaN;
    log(
      `ORT sessions: ${sessionCount()} cached, ${ortStats.sessionsCreated} built, ` +
        `${ortStats.runs} runs`,
    );

    if (opts.profile) {
      const prof = startKernelProfile("ort");
      profileGraphs(true);
      const bytes0 = ortStats.outputBytes;
      const t0 = performance.now();
      tr.step();
      const total = performance.now() - t0;
      const rows = prof.stop();
      const graphs = [...profileGraphs(false).entries()].sort((a, b) => b[1].ms - a[1].ms);
      const inKernels = rows.reduce((a, r) => a + r.ms, 0);
      log(
        `\nprofile of one step: ${(total / 1000).toFixed(2)} s, ` +
          `${(inKernels / 1000).toFixed(2)} s in kernels, ` +
          `${mb(ortStats.outputBytes - bytes0)} MB of ORT outputs\n`,
      );
      log("| kernel | calls | ms | on ORT / JS calls so far |\n|---|---|---|---|");
      for (const r of rows.slice(0, 25)) {
        const c = kernelCounts.get(r.kernel);
        log(
          `| ${r.kernel} | ${r.calls} | ${r.ms.toFixed(1)} | ${c ? `${c.ort} / ${c.js}` : "JS"} |`,
        );
      }
      log("\n| ORT graph (op, shapes, attributes) | calls | ms |\n|---|---|---|");
      for (const [key, g] of graphs.slice(0, opts.graphs ? 1000 : 15)) {
        log(`| ${key} | ${g.calls} | ${g.ms.toFixed(1)} |`);
      }
    }
    tr.dispose();
  }

  if (opts.micro) {
    const ort = await runMicro("ort", opts.batch, opts.microReps, opts.threads);
    const cpu = await runMicro("cpu", Math.min(4, opts.batch), 1, 1);
    log("\n| kernel | ort GFLOP/s | cpu GFLOP/s | torch GFLOP/s |\n|---|---|---|---|");
    for (const c of MICRO_CASES) {
      const t = torch.micro?.[c.name];
      log(
        `| ${c.name} | ${ort[c.name]!.toFixed(1)} | ${cpu[c.name]!.toFixed(2)} | ` +
          `${t === undefined ? "-" : t.toFixed(1)} |`,
      );
    }
  }

  let trainCaptured: TrainTiming | undefined;
  if (opts.train) {
    const net = createUNet(BENCH_UNET, 1);
    const vars = [...net.params.values()];
    trainCaptured = timeTraining(
      { forward: (x, t) => net.apply(x, t), vars, image: [32, 32, 1], classes: 0 },
      opts.batch,
      opts.steps,
      opts.warmup,
      true,
    );
    tf.dispose(vars);
    log(
      `\nbench UNet training as a captured whole step: ${trainCaptured.stepsPerS.toFixed(3)} ` +
        `steps/s (per-op ${(1 / median).toFixed(3)}, torch ${
          torch.steps_per_s?.toFixed(3) ?? "-"
        }); ` +
        `captured kernels ${((trainCaptured.capturedFraction ?? 0) * 100).toFixed(1)} %, ` +
        `${trainCaptured.graphRunsPerStep?.toFixed(0)} graphs per step`,
    );
  }
  const rows: SamplingRow[] = opts.sampling
    ? benchUNetSampling(SAMPLE_BATCHES, opts.steps, opts.warmup)
    : [];
  const qs = opts.quickstart
    ? quickstartBench(QS_TRAIN_BATCH, QS_SAMPLE_BATCH, opts.steps, opts.warmup)
    : undefined;
  if (qs !== undefined) rows.push(qs.sampling);
  const stage = opts.quickstart
    ? await quickstartStageBench(QS_TRAIN_BATCH, opts.steps, opts.warmup)
    : undefined;
  const r4 = (v: number | null | undefined) => (v == null ? null : Number(v.toFixed(4)));
  const torchSample = (row: SamplingRow) =>
    row.model === "quickstart UNet"
      ? torch.quickstart?.sample_images_per_s
      : torch.sample_images_per_s?.[String(row.batch)];
  if (rows.length > 0) log(samplingTable(rows, torchSample));
  if (qs !== undefined) {
    const t = torch.quickstart?.steps_per_s;
    log(
      `\nquickstart UNet (${qs.params} parameters${
        torch.quickstart ? `, torch: ${torch.quickstart.params}` : ""
      }) training, batch ${QS_TRAIN_BATCH}: per-op ${qs.train.stepsPerS.toFixed(3)} steps/s, ` +
        `captured ${qs.trainCaptured.stepsPerS.toFixed(3)} (captured kernels ${
          ((qs.trainCaptured.capturedFraction ?? 0) * 100).toFixed(1)
        } %), torch ${t?.toFixed(3) ?? "-"} (ratios ${ratio(qs.train.stepsPerS, t) ?? "-"} / ${
          ratio(qs.trainCaptured.stepsPerS, t) ?? "-"
        })`,
    );
  }
  if (stage !== undefined) {
    const t = torch.quickstart?.stage_steps_per_s;
    log(
      `quickstart UNet, the train-diffusion stage's step (AdamW, clipping, EMA, min-SNR-5), batch ` +
        `${QS_TRAIN_BATCH}: per-op ${stage.perOp.stepsPerS.toFixed(3)} steps/s, captured ` +
        `${stage.captured.stepsPerS.toFixed(3)} (captured kernels ${
          ((stage.captured.capturedFraction ?? 0) * 100).toFixed(1)
        } %), torch ${t?.toFixed(3) ?? "-"} (ratios ${ratio(stage.perOp.stepsPerS, t) ?? "-"} / ${
          ratio(stage.captured.stepsPerS, t) ?? "-"
        })`,
    );
  }

  const diffrun = opts.train ? 1 / median : null;
  const torchSps = torch.steps_per_s ?? null;
  const result: Record<string, unknown> = {
    diffrun_steps_per_s: r4(diffrun),
    torch_steps_per_s: r4(torchSps),
    ratio: ratio(diffrun, torchSps),
    captured_steps_per_s: r4(trainCaptured?.stepsPerS),
    captured_ratio: ratio(trainCaptured?.stepsPerS, torchSps),
    captured_train_fraction: r4(trainCaptured?.capturedFraction),
    sampling: rows.map((row) => samplingJson(row, torchSample(row))),
    ...(qs === undefined ? {} : {
      quickstart_train_steps_per_s: r4(qs.train.stepsPerS),
      quickstart_captured_train_steps_per_s: r4(qs.trainCaptured.stepsPerS),
      quickstart_torch_train_steps_per_s: r4(torch.quickstart?.steps_per_s),
      quickstart_train_ratio: ratio(qs.train.stepsPerS, torch.quickstart?.steps_per_s),
      quickstart_captured_train_ratio: ratio(
        qs.trainCaptured.stepsPerS,
        torch.quickstart?.steps_per_s,
      ),
    }),
    ...(stage === undefined ? {} : {
      quickstart_stage_train_steps_per_s: r4(stage.perOp.stepsPerS),
      quickstart_stage_captured_train_steps_per_s: r4(stage.captured.stepsPerS),
      quickstart_stage_torch_train_steps_per_s: r4(torch.quickstart?.stage_steps_per_s),
      quickstart_stage_train_ratio: ratio(
        stage.perOp.stepsPerS,
        torch.quickstart?.stage_steps_per_s,
      ),
      quickstart_stage_captured_train_ratio: ratio(
        stage.captured.stepsPerS,
        torch.quickstart?.stage_steps_per_s,
      ),
      quickstart_stage_captured_fraction: r4(stage.captured.capturedFraction),
    }),
    backend: "ort",
    ...memory,
  };
  if (torchSps === null) result.reason = torch.error ?? "torch gave no result";
  log(JSON.stringify(result));
}

/**
 * RSS (and glibc's in-use bytes) after steps 1, 50, 100, 200, 400, … (1-based, those the run
 * reached, plus the last), and their growth over the second half of the run: a plateau shows
 * ~0 there, a leak keeps growing. In-use bytes flat while RSS grows = allocator slack, no leak.
 */
function memorySeries(snaps: readonly MemorySnapshot[]) {
  const marks = [1, 50, 100, 200, 400, 800, 1600].filter((k) => k <= snaps.length);
  const steps = [...new Set([...marks, snaps.length])];
  const half = Math.max(0, Math.floor(snaps.length / 2) - 1);
  const series = (get: (m: MemorySnapshot) => number | undefined) => {
    const at: Record<string, number> = {};
    for (const k of steps) {
      const v = get(snaps[k - 1]!);
      if (v === undefined) return undefined;
      at[String(k)] = Math.round(v / 2 ** 20);
    }
    const last = get(snaps[snaps.length - 1]!)!, mid = get(snaps[half]!)!;
    return { at, growth: Math.round((last - mid) / 2 ** 20) };
  };
  const rss = series((m) => m.rss);
  const inUse = series((m) => m.mallocInUse);
  return {
    rss_mb_at_step: rss?.at ?? {},
    rss_growth_last_half_mb: rss?.growth ?? null,
    ...(inUse === undefined ? {} : {
      malloc_in_use_mb_at_step: inUse.at,
      malloc_in_use_growth_last_half_mb: inUse.growth,
    }),
  };
}

if (import.meta.main) await main();
