/**
 * The report's successive-halving section (docs/halving.md), from the run directory's
 * halving.json: the rung chart (each arm a line over the budget, stopped arms ending at their
 * rung, replicate arms with a 95% interval band) and a table of every arm where it stopped.
 */
import * as v from "valibot";
import { join } from "node:path";
import { HALVING_FILE, type HalvingRecord, HalvingRecordSchema } from "../core/halvingRecord.ts";
import { lineChart, type Series } from "../plot/lineChart.ts";
import { meanInterval } from "../stats/confidenceInterval.ts";
import { escapeHtml } from "./escape.ts";
import * as fsys from "../platform/fs.ts";

/** halving.json of a run directory; null when the run did not halve (or the file is unreadable). */
export const readHalving = async (dir: string): Promise<HalvingRecord | null> => {
  const text = await fsys.readTextFile(join(dir, HALVING_FILE)).catch(() => null);
  if (text === null) return null;
  try {
    const parsed = v.safeParse(HalvingRecordSchema, JSON.parse(text));
    return parsed.success ? parsed.output : null;
  } catch {
    return null;
  }
};

const STOPPED = "#999999";

/** Mean and 95% interval of an arm's seeds at one rung; null when a seed is not finite. */
const interval = (values: readonly (number | null)[]) => {
  if (values.length === 0 || values.some((x) => x === null || !Number.isFinite(x))) return null;
  return meanInterval(values as number[]);
};

const short = (x: number) => Number(x.toPrecision(4)).toString();

export const halvingSection = (h: HalvingRecord): string => {
  const survivors = new Set(h.survivors);
  /** Arm -> (budget, values) at every rung it was ranked at. */
  const path = new Map<string, { budget: number; values: readonly (number | null)[] }[]>();
  for (const d of h.decisions) {
    for (const r of d.ranking) {
      path.set(r.arm, [...(path.get(r.arm) ?? []), { budget: d.budget, values: r.values }]);
    }
  }
  const series: Series[] = [...path].map(([arm, points]) => {
    const cis = points.map((p) => ({ budget: p.budget, ci: interval(p.values) }));
    const band = cis.flatMap((p) =>
      p.ci !== null && Number.isFinite(p.ci.halfWidth)
        ? [[p.budget, p.ci.low, p.ci.high] as const]
        : []
    );
    return {
      name: arm,
      points: cis.map((p) => [p.budget, p.ci?.mean ?? NaN] as const),
      ...(survivors.has(arm) ? {} : { color: STOPPED, dashed: true }),
      ...(band.length > 0 && survivors.has(arm) ? { band } : {}),
    };
  });
  const finished = h.survivors.length > 0;
  const chart = lineChart({
    title: `Successive halving: ${h.metric} per arm over ${h.budget}`,
    subtitle: `${finished ? "survivors in colour, " : ""}stopped arms grey, ending at their rung; ${
      h.mode === "min" ? "lower" : "higher"
    } is better`,
    xLabel: h.budget,
    yLabel: `${h.metric}${
      Object.values(h.arms).some((ids) => ids.length > 1) ? " (mean of seeds)" : ""
    }`,
    series,
    markers: true,
    legend: series.length <= 12 ? "auto" : "none",
  });
  const rows = [...path].map(([arm, points]) => {
    const last = points.at(-1)!;
    const decision = h.decisions.find((d) => d.budget === last.budget)!;
    const ranked = decision.ranking.find((r) => r.arm === arm)!;
    const ci = interval(last.values);
    const score = ci === null
      ? "not finite"
      : Number.isFinite(ci.halfWidth)
      ? `${short(ci.mean)} ± ${short(ci.halfWidth)} (n = ${ci.n})`
      : short(ci.mean);
    const status = survivors.has(arm)
      ? "survivor"
      : decision.stopped.includes(arm)
      ? `stopped at ${h.budget} = ${last.budget}`
      : "running";
    return {
      arm,
      budget: last.budget,
      rank: ranked.rank,
      of: decision.ranking.length,
      score,
      status,
    };
  }).sort((a, b) => b.budget - a.budget || a.rank - b.rank);
  const table = [
    `<table><thead><tr><th>arm</th><th>${escapeHtml(h.budget)} reached</th><th>rank there</th><th>${
      escapeHtml(h.metric)
    } there (mean ± 95% CI)</th><th>status</th></tr></thead><tbody>`,
    ...rows.map((r) =>
      `<tr><td>${
        escapeHtml(r.arm)
      }</td><td>${r.budget}</td><td>${r.rank} of ${r.of}</td><td>${r.score}</td><td>${r.status}</td></tr>`
    ),
    "</tbody></table>",
  ].join("\n");
  return [
    `<p>Rungs ${h.rungs.join(" → ")} of ${escapeHtml(h.budget)}; at each rung the best ${
      short(h.keep)
    } of the arms (by ${escapeHtml(h.metric)}, ${h.mode}, mean over seeds) went on. ${
      finished
        ? `${h.survivors.length} arm(s) reached the last rung.`
        : "The run has not reached the last rung."
    }</p>`,
    `<figure class="chart">${chart}</figure>`,
    `<div class="scroll">${table}</div>`,
  ].join("\n");
};
