/**
 * The adapter study across replicates (docs/methods.md#adapters, docs/adapters.md): each adapter arm's evaluation at every
 * seed, the arms aggregated over seeds (mean target MSE with its 95% interval), and the verdict on
 * the paper's claims from paired intervals (same seed; docs/methods.md#confidence-intervals).
 * Pure, so it is tested on hand-made rows.
 */
import { parseArmId } from "../core/replicates.ts";
import { INPUT_POSITIONS } from "../models/hooks.ts";
import { type IntervalCell, intervalCell } from "../stats/intervalCell.ts";
import { pairedVerdict } from "../stats/pairedVerdict.ts";
import type { AdapterEval } from "./adapterEval.ts";

export const FACTORS = ["input", "output", "activation", "scale"] as const;

/** One adapter arm at one seed. */
export interface ArmRow {
  /** The arm's id without the seed (its sweep arm). */
  readonly id: string;
  readonly seed: number;
  readonly input: string;
  readonly output: string;
  readonly activation: string;
  readonly scale: number;
  readonly rank: number;
  readonly mse: number;
  readonly se: number;
  readonly adapterParams: number;
  readonly baseParams: number;
}

/** One adapter arm over its seeds: `mse` is the mean, `cell` the interval with every seed. */
export interface ArmSummary extends Omit<ArmRow, "seed"> {
  readonly n: number;
  readonly cell: IntervalCell;
}

export const fmt = (x: number | null | undefined, digits = 4) =>
  x === null || x === undefined || !Number.isFinite(x)
    ? "—"
    : Number(x.toPrecision(digits)).toString();
export const pct = (x: number) => `${fmt(100 * x, 3)}%`;
export const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export const levelOf = (r: Omit<ArmRow, "seed">, f: (typeof FACTORS)[number]) => String(r[f]);

/** Rows of the adapter arms at every seed (baselines excluded); ids may carry `/seed=<s>`. */
export const armRows = (evals: Readonly<Record<string, AdapterEval>>): ArmRow[] =>
  Object.entries(evals).flatMap(([key, e]) => {
    const a = e.tuned.adapter;
    if (e.tuned.method !== "adapter" || a === null) return [];
    const { group, replicate } = parseArmId(key);
    return [{
      id: group,
      seed: replicate ?? 0,
      input: a.input,
      output: a.output,
      activation: a.activation,
      scale: a.scale,
      rank: a.rank,
      mse: e.targetMse,
      se: e.targetMseSe,
      adapterParams: e.tuned.trainedParameters,
      baseParams: e.tuned.baseParameters,
    }];
  }).sort((a, b) => a.mse - b.mse);

/**
 * The arms over their seeds, best mean first. `se`: with one seed the evaluation's own standard
 * error over triples; with more, the standard error of the mean over seeds.
 */
export const summariseArms = (rows: readonly ArmRow[]): ArmSummary[] => {
  const ids = [...new Set(rows.map((r) => r.id))];
  return ids.map((id) => {
    const mine = rows.filter((r) => r.id === id).sort((a, b) => a.seed - b.seed);
    const cell = intervalCell(new Map(mine.map((r) => [r.seed, r.mse])))!;
    const { seed: _seed, ...first } = mine[0]!;
    const sd = mine.length > 1
      ? Math.sqrt(mine.reduce((s, r) => s + (r.mse - cell.mean) ** 2, 0) / (mine.length - 1))
      : NaN;
    return {
      ...first,
      mse: cell.mean,
      se: mine.length > 1 ? sd / Math.sqrt(mine.length) : first.se,
      n: mine.length,
      cell,
    };
  }).sort((a, b) => a.mse - b.mse);
};

/** Seed → target MSE of a baseline (`full` or `frozen`) from the report's evaluations. */
export const baselineBySeed = (
  evals: Readonly<Record<string, AdapterEval>>,
  method: "full" | "frozen",
): Map<number, number> =>
  new Map(
    Object.entries(evals).filter(([, e]) => e.tuned.method === method).map((
      [key, e],
    ) => [parseArmId(key).replicate ?? 0, e.targetMse]),
  );

/** Seed → mean target MSE of the rows that `pick` selects at that seed. */
const meanBySeed = (rows: readonly ArmRow[], pick: (r: ArmRow) => boolean) => {
  const out = new Map<number, number>();
  for (const seed of new Set(rows.map((r) => r.seed))) {
    const ys = rows.filter((r) => r.seed === seed && pick(r)).map((r) => r.mse);
    if (ys.length > 0) out.set(seed, mean(ys));
  }
  return out;
};

/** The verdict on the paper's headline claims, as sentences with numbers and intervals. */
export const adapterVerdict = (
  rows: readonly ArmRow[],
  anovaRows: readonly { factor: string; f: number; p: number }[],
  full: ReadonlyMap<number, number>,
  frozen: ReadonlyMap<number, number>,
): string[] => {
  const out: string[] = [];
  const arms = summariseArms(rows);
  // 1. the input position matters most: from the main-effects F test over every seed's arm
  const ranked = anovaRows.filter((r) => Number.isFinite(r.f));
  if (ranked.length > 0) {
    const top = ranked[0]!;
    const outcome = top.p >= 0.05
      ? "Inconclusive"
      : top.factor === "input"
      ? "Reproduced"
      : "Contradicted";
    out.push(
      `${outcome}: the input position is the factor with the largest effect (main-effects F ` +
        `test at 5%, every seed's arms) — the largest F is ${top.factor} (F = ${
          fmt(top.f, 3)
        }, p = ${fmt(top.p, 2)}); ` + ranked.map((r) =>
          `${r.factor} F = ${fmt(r.f, 3)}`
        ).join(", ") +
        ".",
    );
  }
  // 2. inputs right after cross-attention do best: per seed, their mean MSE against the others'
  const afterCa = (r: ArmRow) => r.input === "CA_out" || r.input === "CA_c";
  if (rows.some(afterCa) && rows.some((r) => !afterCa(r))) {
    const byInput = INPUT_POSITIONS.map((i) => {
      const ys = arms.filter((r) => r.input === i).map((r) => r.mse);
      return { input: i, mean: ys.length ? mean(ys) : NaN, n: ys.length };
    }).filter((x) => x.n > 0).sort((a, b) => a.mean - b.mean);
    out.push(
      pairedVerdict({
        claim: "adapters reading right after cross-attention (CA_out, CA_c) do best",
        arms: ["after cross-attention", "other inputs"],
        a: meanBySeed(rows, afterCa),
        b: meanBySeed(rows, (r) => !afterCa(r)),
        direction: { kind: "lower" },
      }).text.slice(0, -1) +
        `; mean target MSE by input position, best first: ` +
        byInput.map((x) => `${x.input} ${fmt(x.mean)}`).join(", ") + ".",
    );
  }
  // 3. CA_out → FFN_in is the best placement: its best arm against the best arm elsewhere
  const pair = arms.filter((r) => r.input === "CA_out" && r.output === "FFN_in");
  const rival = arms.find((r) => !(r.input === "CA_out" && r.output === "FFN_in"));
  if (pair.length > 0 && rival) {
    const best = pair[0]!;
    const bySeed = (id: string) =>
      new Map(rows.filter((r) => r.id === id).map((r) => [r.seed, r.mse]));
    out.push(
      pairedVerdict({
        claim: `CA_out → FFN_in is the best placement: its best arm (${best.id}) beats the ` +
          `best other arm (${rival.id})`,
        arms: [best.id, rival.id],
        a: bySeed(best.id),
        b: bySeed(rival.id),
        direction: { kind: "lower" },
      }).text.slice(0, -1) +
        `; it ranks ${arms.indexOf(best) + 1} of ${arms.length} by mean MSE at ${
          pct(best.adapterParams / best.baseParams)
        } extra parameters.`,
    );
  } else if (pair.length === 0) {
    out.push("CA_out → FFN_in was not in the grid: that claim is not judged.");
  }
  // 4. the best adapter against full fine-tuning (the paper: comparable at a fraction of the size)
  if (full.size > 0 && arms.length > 0) {
    const best = arms[0]!;
    const bestBySeed = new Map(rows.filter((r) => r.id === best.id).map((r) => [r.seed, r.mse]));
    const fullCell = intervalCell(full), frozenCell = intervalCell(frozen);
    out.push(
      `Best adapter ${best.id}: mean MSE ${fmt(best.mse)} vs full fine-tuning ${
        fmt(fullCell?.mean)
      } and the frozen base ${fmt(frozenCell?.mean)}; ${
        frozenCell ? arms.filter((r) => r.mse < frozenCell.mean).length : "?"
      } of ${arms.length} adapter arms improve on the frozen base on average; against full ` +
        `fine-tuning: ${
          pairedVerdict({
            claim: "",
            arms: [best.id, "full fine-tune"],
            a: bestBySeed,
            b: full,
            direction: { kind: "lower" },
          }).evidence
        }.`,
    );
  }
  return out;
};
