/**
 * The quickstart pipeline's smoke profile, end to end through the CLI as a user runs it: a real
 * (tiny) training on the default backend, samples, FD-clf, plots, run directory; then a re-run
 * that is a full cache hit.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import sharp from "sharp";
import { tempEnv } from "../core/helpers.ts";
import { runSmoke } from "./smoke.ts";
import { readManifest } from "../../src/core/runDir.ts";

Deno.test("quickstart --profile smoke trains, samples, measures and writes a complete run directory", async () => {
  await using env = await tempEnv();
  const run = await runSmoke(env, "quickstart");
  const { dir: runDir, manifest: m } = run;
  assert.equal(m.status, "succeeded");
  assert.equal(
    (m as unknown as { engine: { backend: string } }).engine.backend,
    "ort",
  );
  const trained = m.stages.find((s) => s.stage === "train-diffusion") as unknown as {
    annotations: {
      engine: { backend: string; threads: number };
      graphCapture: { fraction: number };
    };
  };
  assert.ok(
    trained.annotations.graphCapture.fraction > 0.9,
    `training kernels mostly captured: ${JSON.stringify(trained.annotations.graphCapture)}`,
  );
  assert.equal(
    trained.annotations.engine.backend,
    "ort",
    "the manifest records the engine that ran the stage",
  );
  assert.ok(trained.annotations.engine.threads >= 1);
  const evaluated = m.stages.find((s) => s.stage === "evaluate") as unknown as {
    annotations: {
      graphCapture: { capturedKernels: number; perOpKernels: number; fraction: number };
    };
  };
  assert.ok(
    evaluated.annotations.graphCapture.fraction > 0.9,
    `the manifest says what share of sampling kernels ran as whole graphs: ${
      JSON.stringify(evaluated.annotations.graphCapture)
    }`,
  );
  assert.match(run.stdout, /image: +\S+artifacts\/evaluate\/samples\.png/);
  const summary = await Deno.readTextFile(join(runDir, "summary.md"));
  assert.match(summary, /\| default \| \d+(\.\d+)? \| /, "the arm row carries numbers");
  const evaluation = JSON.parse(
    await Deno.readTextFile(join(runDir, "artifacts", "evaluate", "data.json")),
  );
  assert.ok(
    Number.isFinite(evaluation.fdClf) && evaluation.fdClf >= 0,
    `FD-clf ${evaluation.fdClf}`,
  );
  assert.ok(evaluation.classEntropy >= 0 && evaluation.classEntropy <= Math.log(6) + 1e-9);
  const grid = await sharp(join(runDir, "artifacts", "evaluate", "samples.png")).metadata();
  assert.ok((grid.width ?? 0) > 16 && (grid.height ?? 0) > 16);
  const svg = await Deno.readTextFile(join(runDir, "artifacts", "plot-training", "loss.svg"));
  assert.match(svg, /<path[^>]+d="M/);
  const metrics = (await Deno.readTextFile(join(runDir, "metrics.jsonl"))).trim().split("\n").map((
    l,
  ) => JSON.parse(l));
  assert.ok(
    metrics.some((r) => String(r.stage).startsWith("train-diffusion") && Number.isFinite(r.loss)),
  );

  assert.match(await run.again(), /0 ran, 7 cached/);
  const again = await readManifest(run.runs().at(-1)!);
  const cached = again.stages.find((s) => s.stage === "train-diffusion") as unknown as {
    status: string;
    annotations: { engine: { backend: string } };
  };
  assert.equal(cached.status, "cached");
  assert.equal(cached.annotations.engine.backend, "ort", "a cached stage still reports its engine");
});
