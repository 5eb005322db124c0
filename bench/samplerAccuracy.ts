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
import {
  caseLabel,
  GAUSSIAN,
  measureSampler,
  MIXTURE,
  type SamplerCase,
  trueMoments,
} from "../src/diffusion/analyticData.ts";
import { makeSchedule } from "../src/diffusion/schedules.ts";

/** What the pipelines run (their defaults and the experiments' profiles), plus Heun's sweep. */
export const SAMPLER_CASES: readonly SamplerCase[] = [
  { sampler: "ddpm", options: { steps: 50 } }, // quickstart
  { sampler: "ddim", options: { steps: 50 } }, // DMD pairs and teacher
  { sampler: "ddim", options: { steps: 25 } }, // min-snr evaluation
  { sampler: "ddim", options: { steps: 20 } }, // adapters
  { sampler: "ddim", options: { steps: 4 } }, // DMD teacher at few steps
  { sampler: "ddim", options: { steps: 1 } }, // DMD teacher at one step
  { sampler: "dpmpp-2m", options: { steps: 25 } }, // DMD pairs with pairSampler dpmpp-2m
  { sampler: "heun", options: { steps: 10 } },
  { sampler: "heun", options: { steps: 18 } }, // DMD pairs with pairSampler heun (EDM's 18 steps)
  { sampler: "heun", options: { steps: 25 } },
  { sampler: "heun", options: { steps: 50 } },
  { sampler: "heun", options: { steps: 18, spacing: "karras" } },
];

export const SCHEDULES = ["cosine", "linear"] as const;

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
