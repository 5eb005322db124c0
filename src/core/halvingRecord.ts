/**
 * What a run directory keeps of successive halving (docs/halving.md): `halving.json` (the option,
 * the work bounds, every rung's ranking and decision; rewritten after each rung, so a crashed
 * run shows the rungs it finished) and a section of summary.md listing the survivors.
 */
import * as v from "valibot";
import type { HalvingPlan } from "./plan.ts";
import type { RungRecord } from "./halvingRun.ts";

export const HALVING_FILE = "halving.json";
export const HALVING_RECORD_VERSION = 1;

const Ranked = v.looseObject({
  arm: v.string(),
  rank: v.number(),
  score: v.nullable(v.number()),
  values: v.array(v.nullable(v.number())),
  continues: v.boolean(),
});

/** halving.json, as the report and `compare` read it back. */
export const HalvingRecordSchema = v.looseObject({
  version: v.literal(HALVING_RECORD_VERSION),
  metric: v.string(),
  mode: v.picklist(["min", "max"]),
  keep: v.number(),
  budget: v.string(),
  rungs: v.array(v.number()),
  /** Sweep arm -> its arm ids (one per replicate seed). */
  arms: v.record(v.string(), v.array(v.string())),
  decisions: v.array(v.looseObject({
    rung: v.number(),
    budget: v.number(),
    ranking: v.array(Ranked),
    continuing: v.array(v.string()),
    stopped: v.array(v.string()),
  })),
  /** The arms that reached the last rung, best first; empty until it is decided. */
  survivors: v.array(v.string()),
});
export type HalvingRecord = v.InferOutput<typeof HalvingRecordSchema>;

export const halvingRecord = (
  halving: HalvingPlan,
  rungs: readonly RungRecord[],
): HalvingRecord => {
  const { spec } = halving;
  const last = rungs.at(-1);
  const finished = last !== undefined && last.rung === spec.rungs.length - 1;
  return {
    version: HALVING_RECORD_VERSION,
    metric: spec.metric,
    mode: spec.mode,
    keep: spec.keep,
    budget: spec.budget,
    rungs: [...spec.rungs],
    work: halving.work,
    arms: Object.fromEntries([...halving.groups].map(([g, ids]) => [g, [...ids]])),
    decisions: rungs.map((r) => ({ ...r, ranking: [...r.ranking] })) as HalvingRecord["decisions"],
    survivors: finished ? last.ranking.map((a) => a.arm) : [],
  };
};

const score = (x: number | null) => (x === null ? "not finite" : Number(x.toPrecision(4)));

/** The summary.md section: each rung's decision, the survivors ranked, where the others stopped. */
export const halvingMarkdown = (rungs: readonly RungRecord[]): string => {
  if (rungs.length === 0) return "";
  const lines = [
    "",
    "## Successive halving",
    "",
    "Arms are ranked at equal budget by the mean of their seeds; non-finite metrics rank last, ties",
    "keep the sweep's order (docs/halving.md). Full rankings: halving.json.",
    "",
    "| rung | budget | arms | go on | stopped | best | its metric |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const r of rungs) {
    const best = r.ranking[0];
    lines.push(
      `| ${
        r.rung + 1
      } | ${r.budget} | ${r.ranking.length} | ${r.continuing.length} | ${r.stopped.length} | ${
        best?.arm ?? ""
      } | ${best ? score(best.score) : ""} |`,
    );
  }
  const last = rungs.at(-1)!;
  lines.push("", `Survivors at budget ${last.budget}, best first:`, "");
  last.ranking.filter((a) => last.continuing.includes(a.arm)).forEach((a, i) =>
    lines.push(`${i + 1}. ${a.arm}: ${score(a.score)}`)
  );
  const stoppedAt = rungs.flatMap((r) => r.stopped.map((arm) => `${arm} (budget ${r.budget})`));
  if (stoppedAt.length > 0) lines.push("", `Stopped: ${stoppedAt.join(", ")}.`);
  return lines.join("\n") + "\n";
};

const fraction = (keep: number) => {
  for (let d = 2; d <= 10; d++) {
    if (Math.abs(keep * d - Math.round(keep * d)) < 1e-9) {
      return `${Math.round(keep * d)}/${d}`;
    }
  }
  return String(keep);
};

/** What `plan` and the run's first lines say of halving: rungs, arms per rung, the work bounds. */
export const describeHalving = (halving: HalvingPlan): string[] => {
  const { spec, work } = halving;
  const seeds = Math.max(1, ...[...halving.groups.values()].map((g) => g.length));
  const pct = (a: number, b: number) => `${Math.round((100 * a) / Math.max(1, b))}%`;
  return [
    spec.extend.length > 0
      ? `successive halving: extending ${spec.extend.join(", ")} through ${spec.budget} rungs ${
        spec.rungs.join(" → ")
      }, reusing the segments already cached`
      : `successive halving: ${spec.budget} at rungs ${spec.rungs.join(" → ")}, keeping ${
        spec.keep === 1 ? "every arm" : `the best ${fraction(spec.keep)}`
      } by ${spec.metric} (${spec.mode}) at each rung`,
    `  arms per rung: ${work.armsPerRung.join(" → ")}${seeds > 1 ? ` (× ${seeds} seeds)` : ""}`,
    `  ${spec.budget} summed over arms: ${work.budgetWithHalving} with halving, ${work.budgetWithout} without (${
      pct(work.budgetWithHalving, work.budgetWithout)
    })`,
    `  stages: at most ${work.stagesAtMost} run with halving, ${work.stagesWithout} without; which arms go on is decided as rungs finish`,
  ];
};
