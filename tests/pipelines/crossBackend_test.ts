/**
 * The smoke profile of the quickstart and of each study, run end to end on `--backend webgpu`
 * and on `--backend ort` in one store, compared number by number (crossBackend.ts): every
 * training loss of every step, every evaluation metric, every report value. Needs a WebGPU
 * adapter (in CI Mesa's software one, `apt-get install mesa-vulkan-drivers`); skipped with a
 * message without one.
 *
 * By default each study runs a reduced grid that still has every stage kind (one DMD arm, one
 * Min-SNR arm and seed, one adapter pair): a software GPU runs the full smoke grids in minutes.
 * `DIFFRUN_CROSS_BACKEND=full` runs the smoke profiles unchanged; either way the comparison prints
 * one line per quantity (the numbers in docs/backends.md).
 *
 * Tolerances (docs/backends.md#how-close-the-backends-are): both backends compute in float32 and
 * differ only in the order of additions inside kernels (op parity: ≤ 6.4e-7 relative). A few
 * training steps carry that to the results without amplifying it much: measured at most
 * 1.3e-4 (a DMD distribution-matching loss of 8e-4). Continuous quantities must agree to
 * 1e-3 relative. Quantities made of argmax counts (accuracy, coverage, class entropy) and what is
 * built from them agree exactly unless a sample sits on a decision boundary; measured: exactly.
 * They get the same bound, so a single flipped sample fails the test and is looked at.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { probeAdapter } from "../../src/engine/webgpuAdapter.ts";
import { type TempEnv, tempEnv } from "../core/helpers.ts";
import { runSmoke, type SmokeRun } from "./smoke.ts";
import { compareRuns, type QuantityDifference, runNumbers } from "./crossBackend.ts";

const probe = await probeAdapter();
const ignore = !probe.found;
if (!probe.found) {
  console.log(
    `cross-backend smoke tests skipped: no WebGPU adapter (${probe.reason}); ` +
      `install mesa-vulkan-drivers (Debian) or a GPU driver to run them`,
  );
}

/**
 * The largest difference allowed between a webgpu and an ort number, per quantity (the last field
 * name of its key); every other quantity gets `default`. Relative = |a − b| / max(|a|, |b|).
 */
const CROSS_BACKEND_TOLERANCE: Record<string, { relative: number } | { absolute: number }> = {
  default: { relative: 1e-3 },
  // adapter-samples stores sample pixels rounded to 3 decimals: two rounding steps
  pixels: { absolute: 2e-3 },
  // a 95 % interval's half-width over 2 seeds is t·|x₁ − x₂|/2: the difference of two close
  // FD-clf values multiplies their relative difference (measured: by about 450)
  halfWidth: { relative: 1e-2 },
};

const within = (q: QuantityDifference) => {
  const tol = CROSS_BACKEND_TOLERANCE[q.quantity] ?? CROSS_BACKEND_TOLERANCE.default!;
  return "relative" in tol ? q.max <= tol.relative : q.maxAbsolute <= tol.absolute;
};

const full = Deno.env.get("DIFFRUN_CROSS_BACKEND") === "full";

/** Per experiment: the arguments that reduce its smoke grid (unless `full`). */
const STUDIES: Record<string, readonly string[]> = {
  quickstart: [],
  dmd: ["-p", 'arm=["dmd"]'],
  "min-snr": [
    "--replicates",
    "1",
    "-p",
    'target=["x0"]',
    "-p",
    'weighting=[{"strategy":"min-snr","gamma":5}]',
  ],
  adapters: ["-p", 'input=["Res_out"]', "-p", 'output=["Res_out"]'],
};

interface EngineAnnotation {
  readonly engine?: { readonly backend: string; readonly adapter?: { isFallbackAdapter: boolean } };
}
const engineOf = (run: SmokeRun, label: string) =>
  (run.manifest.stages.find((s) => s.label === label) as { annotations?: EngineAnnotation })
    ?.annotations?.engine;

for (const [name, reduced] of Object.entries(STUDIES)) {
  Deno.test({
    name: `experiments/${name}.ts --profile smoke on webgpu matches ort in every recorded number`,
    ignore,
    fn: async () => {
      await using env = await tempEnv();
      const extra = full ? [] : reduced;
      // one store: the ort run must compute every engine-sensitive stage itself
      const gpu = await runSmoke(
        { ...env, results: join(env.dir, "results-webgpu") } as TempEnv,
        name,
        ["--backend", "webgpu", ...extra],
      );
      const ort = await runSmoke(
        { ...env, results: join(env.dir, "results-ort") } as TempEnv,
        name,
        ["--backend", "ort", ...extra],
      );
      assert.match(gpu.stdout, /backend webgpu \(--backend asked for webgpu\)/);
      const computed = gpu.manifest.stages.filter((s) => engineOf(gpu, s.label) !== undefined);
      assert.ok(computed.length >= 3, `stages with an engine: ${computed.map((s) => s.label)}`);
      for (const s of computed) {
        assert.equal(engineOf(gpu, s.label)!.backend, "webgpu", s.label);
        const onOrt = ort.manifest.stages.find((o) => o.label === s.label);
        assert.equal(onOrt?.status, "ran", `${s.label} on ort reused a webgpu result`);
        assert.equal(engineOf(ort, s.label)?.backend, "ort", s.label);
      }
      if (engineOf(gpu, computed[0]!.label)!.adapter?.isFallbackAdapter) {
        assert.match(gpu.stdout, /Ran on a software GPU/);
        assert.match(await Deno.readTextFile(join(gpu.dir, "summary.md")), /software GPU/);
      }

      const c = compareRuns(await runNumbers(gpu.dir), await runNumbers(ort.dir));
      assert.deepEqual(c.onlyInA, [], "numbers only the webgpu run recorded");
      assert.deepEqual(c.onlyInB, [], "numbers only the ort run recorded");
      assert.ok(c.quantities.length > 0);
      console.log(`${name} smoke${full ? "" : " (reduced grid)"}: webgpu vs ort`);
      for (const q of c.quantities) {
        console.log(
          `  ${q.quantity.padEnd(24)} ${String(q.count).padStart(4)} numbers, largest relative ` +
            `difference ${q.max.toExponential(1)} (${q.a} vs ${q.b} at ${q.at}), largest ` +
            `absolute ${q.maxAbsolute.toExponential(1)}`,
        );
      }
      assert.deepEqual(
        c.quantities.filter((q) => !within(q)).map((q) =>
          `${q.quantity}: ${q.a} vs ${q.b} at ${q.at} (absolute ${q.maxAbsolute})`
        ),
        [],
        "quantities whose webgpu and ort values differ by more than CROSS_BACKEND_TOLERANCE",
      );
    },
  });
}
