/**
 * Where the time of a captured graph goes: runs the quickstart model's captured forward pass
 * (batch 128) and the bench UNet's captured training step (batch 64) a few times with ORT's own
 * per-node profiler on for the captured sessions, and prints the time per ONNX op type.
 *
 *   DIFFRUN_ORT_PROFILE='^capture#' deno run -A bench/engine_graph_profile.ts [reps]
 *
 * The environment variable must be set at start (sessionCache.ts reads it once); the profile
 * files (ort_profile_*.json) are written to the working directory and removed after reading.
 */
import { tf } from "../src/tensor/tf.ts";
import { selectBackend } from "../src/engine/backend.ts";
import { captureForward, clearCapturedPrograms } from "../src/engine/ort/graphCapture.ts";
import { createUNet as createModelUNet } from "../src/models/unet.ts";
import { BENCH_UNET, createUNet } from "./unet.ts";
import { QUICKSTART_MODEL, QUICKSTART_SIZE } from "./quickstartModel.ts";
import { timeTraining } from "./engine_training.ts";

interface OrtEvent {
  readonly cat: string;
  readonly name: string;
  readonly dur: number;
  readonly args?: { readonly op_name?: string };
}

/** Sums ORT's node times by op type, per replay (a replay may run several graphs). */
export async function opTable(title: string, replays: number): Promise<void> {
  const totals = new Map<string, { us: number; n: number }>();
  let runs = 0;
  for (const f of [...Deno.readDirSync(".")].filter((e) => e.name.startsWith("ort_profile"))) {
    const events = JSON.parse(await Deno.readTextFile(f.name)) as OrtEvent[];
    for (const e of events) {
      if (e.cat === "Session" && e.name === "model_run") runs++;
      if (e.cat !== "Node" || !e.name.endsWith("_kernel_time")) continue;
      const op = e.args?.op_name ?? "?";
      const t = totals.get(op) ?? { us: 0, n: 0 };
      t.us += e.dur;
      t.n++;
      totals.set(op, t);
    }
    await Deno.remove(f.name);
  }
  const all = [...totals.values()].reduce((a, t) => a + t.us, 0);
  console.log(
    `\n${title}: ${runs} graph runs in ${replays} replays, ` +
      `${(all / 1000 / replays).toFixed(0)} ms inside ORT nodes per replay\n`,
  );
  console.log("| ONNX op | ms per replay | share | nodes per replay |\n|---|---|---|---|");
  for (const [op, t] of [...totals].sort((a, b) => b[1].us - a[1].us).slice(0, 15)) {
    console.log(
      `| ${op} | ${(t.us / 1000 / replays).toFixed(1)} | ${(100 * t.us / all).toFixed(1)} % | ${
        (t.n / replays).toFixed(0)
      } |`,
    );
  }
}

if (import.meta.main) {
  const reps = Math.max(1, Number(Deno.args[0] ?? 3));
  await selectBackend("ort");
  const net = createModelUNet(QUICKSTART_MODEL, 1);
  const names = net.params.names();
  const fwd = captureForward(
    (x: tf.Tensor, t: tf.Tensor, y: tf.Tensor) =>
      net.forward(x as tf.Tensor4D, t as tf.Tensor1D, y as tf.Tensor1D),
    { key: "profile:quickstart", params: () => names.map((n) => net.params.get(n)) },
  );
  const s = QUICKSTART_SIZE;
  const x = tf.randomNormal([128, s, s, 3]), t = tf.fill([128], 500);
  const y = tf.randomUniform([128], 0, 6, "int32");
  for (let i = 0; i < reps + 1; i++) tf.tidy(() => fwd(x, t, y)).dispose();
  clearCapturedPrograms(); // ends the profiles
  await opTable("quickstart UNet, captured forward, batch 128", reps);

  const bench = createUNet(BENCH_UNET, 1);
  const vars = [...bench.params.values()];
  timeTraining(
    { forward: (x, t) => bench.apply(x, t), vars, image: [32, 32, 1], classes: 0 },
    64,
    reps,
    0,
    true,
  );
  clearCapturedPrograms();
  await opTable("bench UNet, captured training step, batch 64", reps);
}
