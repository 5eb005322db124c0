/**
 * Min-SNR study across replicates: the runs of each arm grouped by seed, the speed-up table per
 * seed and aggregated (mean ± 95% CI, n), and the verdict on the paper's claims from the
 * intervals of paired differences (same seed, two arms; docs/methods.md#confidence-intervals).
 * Pure, so it is tested on hand-made curves.
 */
import { parseArmId } from "../core/replicates.ts";
import { type IntervalCell, intervalCell } from "../stats/intervalCell.ts";
import { pairedVerdict } from "../stats/pairedVerdict.ts";
import type { ArmCurves } from "./minSnrCurves.ts";
import { resolveWeighting } from "../diffusion/weightings.ts";

/** One arm of the sweep with its run at every seed. */
export interface ArmRuns {
  readonly arm: string;
  readonly label: string;
  readonly target: ArmCurves["target"];
  readonly weighting: ArmCurves["weighting"];
  readonly describe: string;
  /** Seed → the curves of that replicate (seed 0 when the run had no replicates). */
  readonly runs: ReadonlyMap<number, ArmCurves>;
}

export const armLabel = (c: Pick<ArmCurves, "target" | "weighting">) =>
  `${c.target} · ${resolveWeighting(c.weighting, c.target).label}`;

/** Groups the report's inputs (arm id → curves) by arm, keyed by replicate seed. */
export const groupRuns = (inputs: Readonly<Record<string, ArmCurves>>): ArmRuns[] => {
  const groups = new Map<string, { first: ArmCurves; runs: Map<number, ArmCurves> }>();
  for (const [id, curves] of Object.entries(inputs)) {
    const seed = parseArmId(id).replicate ?? 0;
    const g = groups.get(curves.arm) ?? { first: curves, runs: new Map() };
    g.runs.set(seed, curves);
    groups.set(curves.arm, g);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([arm, g]) => ({
    arm,
    label: armLabel(g.first),
    target: g.first.target,
    weighting: g.first.weighting,
    describe: g.first.describe,
    runs: new Map([...g.runs].sort((a, b) => a[0] - b[0])),
  }));
};

/** Every seed any arm ran, ascending. */
export const seedsOf = (groups: readonly ArmRuns[]): number[] =>
  [...new Set(groups.flatMap((g) => [...g.runs.keys()]))].sort((a, b) => a - b);

/** First evaluated step whose FD-clf is at or below `threshold`, or null. */
export const stepsToReach = (c: ArmCurves, threshold: number): number | null =>
  c.points.find((p) => p.fdClf <= threshold)?.step ?? null;

const finalFd = (c: ArmCurves | undefined) => c?.points.at(-1)?.fdClf ?? NaN;

/** Per seed, one arm's number (NaN where the arm has no run at that seed). */
const bySeed = (g: ArmRuns, f: (c: ArmCurves, seed: number) => number | null) =>
  new Map([...g.runs].map(([s, c]) => [s, f(c, s) ?? NaN]));

export interface SpeedupRow {
  readonly arm: string;
  readonly label: string;
  readonly n: number;
  /** Seeds at which the arm reached its threshold, of n. */
  readonly reached: number;
  readonly threshold: IntervalCell | null;
  readonly steps: IntervalCell | null;
  readonly baselineSteps: IntervalCell | null;
  readonly speedup: IntervalCell | null;
  readonly finalFd: IntervalCell | null;
}

/**
 * The speed-up table (docs/min-snr.md): per target the unweighted arm is the baseline; per seed, the
 * threshold is `threshold`, else that seed's baseline's final FD-clf × `factor`, and speed-up =
 * baseline steps / steps to reach it. Cells aggregate the seeds where the number exists.
 */
export const speedupTable = (
  groups: readonly ArmRuns[],
  threshold: number | null,
  factor: number,
): SpeedupRow[] => {
  const rows: SpeedupRow[] = [];
  for (const target of [...new Set(groups.map((g) => g.target))]) {
    const inTarget = groups.filter((g) => g.target === target);
    const baseline = inTarget.find((g) => g.weighting.strategy === "unweighted");
    const thresholdAt = (seed: number) => threshold ?? finalFd(baseline?.runs.get(seed)) * factor;
    const baseStepsAt = (seed: number) => {
      const b = baseline?.runs.get(seed);
      return b ? stepsToReach(b, thresholdAt(seed)) : null;
    };
    for (const g of inTarget) {
      const steps = bySeed(g, (c, s) => stepsToReach(c, thresholdAt(s)));
      rows.push({
        arm: g.arm,
        label: g.label,
        n: g.runs.size,
        reached: [...steps.values()].filter(Number.isFinite).length,
        threshold: intervalCell(bySeed(g, (_c, s) => thresholdAt(s))),
        steps: intervalCell(steps),
        baselineSteps: intervalCell(bySeed(g, (_c, s) => baseStepsAt(s))),
        speedup: intervalCell(bySeed(g, (c, s) => {
          const own = stepsToReach(c, thresholdAt(s)), base = baseStepsAt(s);
          return own !== null && base !== null ? base / own : null;
        })),
        finalFd: intervalCell(bySeed(g, (c) => finalFd(c))),
      });
    }
  }
  return rows;
};

const gammaOf = (g: Pick<ArmRuns, "weighting">) =>
  "gamma" in g.weighting ? g.weighting.gamma : undefined;

/** Seed → speed-up of `g` over its target's unweighted baseline at that seed's threshold. */
const speedupBySeed = (
  groups: readonly ArmRuns[],
  g: ArmRuns,
  threshold: number | null,
  factor: number,
) => {
  const baseline = groups.find((b) =>
    b.target === g.target && b.weighting.strategy === "unweighted"
  );
  return bySeed(g, (c, s) => {
    const b = baseline?.runs.get(s);
    if (!b) return null;
    const thr = threshold ?? finalFd(b) * factor;
    const own = stepsToReach(c, thr), base = stepsToReach(b, thr);
    return own !== null && base !== null ? base / own : null;
  });
};

/** The verdict lines; each states the paired interval it comes from. */
export const minSnrVerdict = (
  groups: readonly ArmRuns[],
  threshold: number | null,
  factor: number,
): string[] => {
  const out: string[] = [];
  const find = (target: string, strategy: string, gamma?: number) =>
    groups.find((g) =>
      g.target === target && g.weighting.strategy === strategy &&
      (gamma === undefined || gammaOf(g) === gamma)
    );
  const finals = (g: ArmRuns) => bySeed(g, (c) => finalFd(c));
  // 1. min-SNR-γ against the unweighted baseline, per target: the final FD-clf
  for (const target of [...new Set(groups.map((g) => g.target))]) {
    const base = find(target, "unweighted");
    if (!base) continue;
    for (
      const g of groups.filter((x) => x.target === target && x.weighting.strategy === "min-snr")
    ) {
      out.push(
        pairedVerdict({
          claim: `${g.label} ends at a lower FD-clf than the unweighted baseline`,
          arms: [g.label, base.label],
          a: finals(g),
          b: finals(base),
          direction: { kind: "lower" },
        }).text,
      );
    }
  }
  // 2. min-SNR helps x0-prediction more than ε-prediction: the paired difference of speed-ups
  const x0 = groups.find((g) => g.target === "x0" && g.weighting.strategy === "min-snr");
  const eps = x0 ? find("eps", "min-snr", gammaOf(x0)) : undefined;
  if (x0 && eps) {
    out.push(
      pairedVerdict({
        claim: `min-SNR-${gammaOf(x0)} speeds up x0-prediction more than ε-prediction`,
        arms: ["x0 speed-up", "ε speed-up"],
        a: speedupBySeed(groups, x0, threshold, factor),
        b: speedupBySeed(groups, eps, threshold, factor),
        direction: { kind: "higher" },
      }).text,
    );
  } else {
    out.push(
      "The x0-vs-ε speed-up claim cannot be judged: a min-SNR arm of x0 or ε (same γ) is missing.",
    );
  }
  // 3. ε-prediction with the x0-space constant (or max-SNR) weighting trains worse
  const epsBase = find("eps", "unweighted");
  for (
    const g of groups.filter((g) =>
      g.target === "eps" &&
      (g.weighting.strategy === "constant" || g.weighting.strategy === "max-snr")
    )
  ) {
    if (!epsBase) break;
    const diverged = [...g.runs.values()].filter((c) => c.divergedAt !== null).length;
    const v = pairedVerdict({
      claim: `ε with ${g.label} ends at a higher FD-clf than unweighted ε`,
      arms: [g.label, epsBase.label],
      a: finals(g),
      b: finals(epsBase),
      direction: { kind: "higher" },
    });
    out.push(`${v.text.slice(0, -1)}; diverged in ${diverged} of ${g.runs.size} seeds.`);
  }
  // 4. robustness in γ: the best and the worst γ (by mean final FD) within 25% of the best
  for (const target of ["eps", "x0", "v"]) {
    const gammas = groups.filter((g) => g.target === target && g.weighting.strategy === "min-snr");
    if (gammas.length < 2) continue;
    const mean = (g: ArmRuns) => intervalCell(finals(g))?.mean ?? NaN;
    const sorted = [...gammas].sort((a, b) => mean(a) - mean(b));
    const best = sorted[0]!, worst = sorted.at(-1)!;
    out.push(
      pairedVerdict({
        claim: `the final FD-clf of ${target} is robust in γ (worst γ within 25% of the best)`,
        arms: [worst.label, best.label],
        a: finals(worst),
        b: finals(best),
        direction: { kind: "equal", margin: 0.25 * mean(best) },
      }).text,
    );
  }
  return out;
};
