import assert from "node:assert/strict";
import { tf } from "../../src/tensor/tf.ts";
import { selectBackend } from "../../src/engine/backend.ts";
import { captureStats, resetCaptureStats } from "../../src/engine/ort/graphCapture.ts";
import { ParamStore } from "../../src/models/params.ts";
import { defaultAdamW, makeAdamW } from "../../src/train/adamw.ts";
import { makeEma } from "../../src/train/ema.ts";
import { randomArray, relError } from "./helpers.ts";

await selectBackend("ort", { threads: 1 });

const SHAPES: [string, number[]][] = [["a", [3, 3, 4, 8]], ["b", [8]], ["c", [16, 8]]];

/** AdamW (clipping, weight decay, warm-up) and EMA for 6 steps on fixed gradients. */
async function run(captured: boolean) {
  Deno.env.set("DIFFRUN_GRAPH_CAPTURE", captured ? "1" : "0");
  try {
    const p = new ParamStore(0);
    SHAPES.forEach(([n, s], k) => {
      p.create(n, s, { kind: "zeros" });
      p.get(n).assign(tf.tensor(randomArray(s.reduce((a, b) => a * b), k + 1), s));
    });
    const opt = makeAdamW(p, { ...defaultAdamW, lr: 0.01, weightDecay: 0.1, warmupSteps: 3 });
    const ema = makeEma(p, 0.9);
    for (let step = 0; step < 6; step++) {
      const grads = Object.fromEntries(
        SHAPES.map(([n, s], k) => [
          n,
          tf.tensor(randomArray(s.reduce((a, b) => a * b), 100 * step + k), s).mul(step + 1),
        ]),
      );
      await opt.update(grads);
      ema.update(step);
      tf.dispose(Object.values(grads));
    }
    const read = (q: ParamStore) => SHAPES.map(([n]) => q.get(n).dataSync().slice());
    const out = { params: read(p), ema: read(ema.params) };
    p.dispose();
    ema.params.dispose();
    opt.dispose();
    return out;
  } finally {
    Deno.env.delete("DIFFRUN_GRAPH_CAPTURE");
  }
}

Deno.test("makeAdamW() and makeEma() as captured steps update like per-op dispatch (1e-6)", async () => {
  const perOp = await run(false);
  resetCaptureStats();
  const captured = await run(true);
  assert.ok(captureStats.replays >= 8, JSON.stringify(captureStats)); // 5 + 5 after recording
  perOp.params.forEach((x, k) => {
    assert.ok(
      relError(captured.params[k]!, x) < 1e-6,
      `param ${k}: ${relError(captured.params[k]!, x)}`,
    );
    assert.ok(relError(captured.ema[k]!, perOp.ema[k]!) < 1e-6, `ema ${k}`);
  });
});
