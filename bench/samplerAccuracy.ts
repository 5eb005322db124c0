/**
 * Sampler accuracy against analytic denoisers: every sampler at the step counts the pipelines use,
 * on the cosine and linear schedules, driven by the exact denoiser of a 1-D Gaussian and of a
 * two-component Gaussian mixture (src/diffusion/analyticData.ts). Prints mean, variance and mass
 * below 0 of the samples next to the truth, with Monte Carlo standard errors.
 *
 *   deno run -A bench/samplerAccuracy.ts [n=200000] [filter]
 *
 * `filter` keeps the rows whose label contains it (e.g. `heun`). Output: a Markdown table, then
 * one JSON line per row.
 */
import { tf } from "../src/tensor/tf.ts";
import {
  type AnalyticData,
  analyticDenoiser,
  estimateMoments,
  GAUSSIAN,
  MIXTURE,
  type MomentEstimates,
  trueMoments,
} from "../src/diffusion/analyticData.ts";
import { makeRng } from "../src/diffusion/rng.ts";
import { sample } from "../src/diffusion/samplers.ts";
import { makeSchedule, type Schedule } from "../src/diffusion/schedules.ts";

/** One sampler configuration: name and options (seeded samplers get `seed` added). */
export interface SamplerCase {
  readonly sampler: string;
  readonly options: Readonly<Record<string, unknown>>;
}

/** What the pipelines run (SPEC.md's protocols and the experiments' defaults), plus Heun's sweep. */
export const SAMPLER_CASES: readonly SamplerCase[] = [
  { sampler: "ddpm", options: { steps: 50 } }, // quickstart
  { sampler: "ddim", options: { steps: 50 } }, // DMD pairs and teacher
  { sampler: "ddim", options: { steps: 25 } }, // min-snr evaluation
  { sampler: "ddim", options: { steps: 20 } }, // adapters
  { sampler: "ddim", options: { steps: 4 } }, // DMD teacher at few steps
  { sampler: "ddim", options: { steps: 1 } }, // DMD teacher at one step
  { sampler: "dpmpp-2m", options: { steps: 25 } },
  { sampler: "heun", options: { steps: 10 } },
  { sampler: "heun", options: { steps: 18 } }, // DMD pairs (SPEC: Heun 18)
  { sampler: "heun", options: { steps: 25 } },
  { sampler: "heun", options: { steps: 50 } },
  { sampler: "heun", options: { steps: 18, spacing: "karras" } },
];

export const SCHEDULES = ["cosine", "linear"] as const;

export const caseLabel = (c: SamplerCase): string =>
  `${c.sampler}-${c.options.steps}${c.options.spacing ? `-${c.options.spacing}` : ""}`;

/** Samples `n` values with sampler `c` from x_T ~ N(0, 1) (seed `seed`) and estimates moments. */
export function measureSampler(
  c: SamplerCase,
  data: AnalyticData,
  schedule: Schedule,
  n: number,
  seed: number,
): MomentEstimates {
  const options = c.sampler === "ddpm" ? { ...c.options, seed: seed + 1 } : c.options;
  const xT = tf.tensor2d(makeRng(seed).normal(n), [n, 1]);
  const out = sample(c.sampler, analyticDenoiser(data, schedule), xT, schedule, options);
  const values = out.dataSync();
  tf.dispose([xT, out]);
  return estimateMoments(values);
}

if (import.meta.main) {
  const n = Number(Deno.args[0] ?? 200_000);
  const filter = Deno.args[1] ?? "";
  const rows: Record<string, unknown>[] = [];
  console.log(
    "| data | schedule | sampler | mean (truth) | variance (truth) ± SE | P(x<0) (truth) |",
  );
  console.log("|---|---|---|---|---|---|");
  for (const data of [GAUSSIAN, MIXTURE]) {
    const truth = trueMoments(data);
    for (const family of SCHEDULES) {
      const schedule = makeSchedule({ family });
      for (const c of SAMPLER_CASES) {
        const label = caseLabel(c);
        if (!`${data.name} ${family} ${label}`.includes(filter)) continue;
        const m = measureSampler(c, data, schedule, n, 0);
        console.log(
          `| ${data.name} | ${family} | ${label} | ${m.mean.toFixed(4)} (${
            truth.mean.toFixed(4)
          }) | ${m.variance.toFixed(4)} (${truth.variance.toFixed(4)}) ± ${
            m.se.variance.toFixed(4)
          } | ${m.below0.toFixed(4)} (${truth.below0.toFixed(4)}) |`,
        );
        rows.push({ data: data.name, schedule: family, sampler: label, ...m, truth });
      }
    }
  }
  for (const r of rows) console.log(JSON.stringify(r));
}
