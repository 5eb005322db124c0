/**
 * Verdicts from intervals (docs/methods.md#confidence-intervals): a claim that arm A's value is
 * lower (or higher) than arm B's is judged on the PAIRED difference dₛ = Aₛ − Bₛ of the replicates
 * that ran both arms with the same seed s, through the Student-t interval of the mean of dₛ:
 *
 *   - "Reproduced"   when the interval excludes 0 on the paper's side,
 *   - "Contradicted" when it excludes 0 on the other side,
 *   - "Inconclusive" when it contains 0,
 *   - "Inconclusive (one seed)" with a single pair (no interval can be formed).
 *
 * An equivalence claim ("no difference", e.g. robustness in γ) takes a margin m: "Reproduced" when
 * the interval lies inside (−m, m), "Contradicted" when it lies wholly outside [−m, m].
 *
 * Every verdict's text states the claim, the mean paired difference, the interval and n.
 */
import { type MeanInterval, meanInterval } from "./confidenceInterval.ts";

export type VerdictOutcome =
  | "Reproduced"
  | "Contradicted"
  | "Inconclusive"
  | "Inconclusive (one seed)";

/** What the paper says about A − B. */
export type PaperDirection =
  | { readonly kind: "lower" }
  | { readonly kind: "higher" }
  | { readonly kind: "equal"; readonly margin: number };

export interface PairedClaim {
  /** The claim in words, e.g. "min-SNR-5 lowers the final FD-clf of x0-prediction". */
  readonly claim: string;
  /** Names of the two arms in the difference, e.g. ["min-SNR-5", "unweighted"]. */
  readonly arms: readonly [string, string];
  /** Seed → A's value, and seed → B's value (a number for a fixed reference such as 0.9). */
  readonly a: ReadonlyMap<number, number>;
  readonly b: ReadonlyMap<number, number> | number;
  readonly direction: PaperDirection;
  /** Confidence level, default 0.95. */
  readonly level?: number;
}

export interface PairedVerdict {
  readonly outcome: VerdictOutcome;
  /** The interval of the mean paired difference; null when no seed ran both arms. */
  readonly difference: MeanInterval | null;
  /** Seeds that ran both arms (with finite values), ascending. */
  readonly seeds: readonly number[];
  /** Seeds of only one arm (or with a non-finite value), left out of the pairing. */
  readonly unpaired: readonly number[];
  /** The numbers behind the outcome: the paired difference, its interval and n (no outcome). */
  readonly evidence: string;
  /** `<outcome>: <claim> (paper: <direction>) — <evidence>.` */
  readonly text: string;
}

const num = (x: number, digits = 3) => Number(x.toPrecision(digits)).toString();

/** Pairs A and B by seed; a non-finite value (a diverged run) leaves that seed out. */
export const pairBySeed = (
  a: ReadonlyMap<number, number>,
  b: ReadonlyMap<number, number> | number,
): { seeds: number[]; differences: number[]; unpaired: number[] } => {
  const bOf = (s: number) => typeof b === "number" ? b : b.get(s);
  const all = [...new Set([...a.keys(), ...(typeof b === "number" ? [] : b.keys())])].sort((x, y) =>
    x - y
  );
  const seeds: number[] = [], differences: number[] = [], unpaired: number[] = [];
  for (const s of all) {
    const x = a.get(s), y = bOf(s);
    if (x === undefined || y === undefined || !Number.isFinite(x) || !Number.isFinite(y)) {
      unpaired.push(s);
    } else {
      seeds.push(s);
      differences.push(x - y);
    }
  }
  return { seeds, differences, unpaired };
};

const outcomeOf = (ci: MeanInterval, direction: PaperDirection): VerdictOutcome => {
  if (ci.n < 2) return "Inconclusive (one seed)";
  if (direction.kind === "equal") {
    const m = direction.margin;
    if (ci.low > -m && ci.high < m) return "Reproduced";
    if (ci.low > m || ci.high < -m) return "Contradicted";
    return "Inconclusive";
  }
  const sign = direction.kind === "lower" ? -1 : 1;
  if (ci.low > 0) return sign > 0 ? "Reproduced" : "Contradicted";
  if (ci.high < 0) return sign < 0 ? "Reproduced" : "Contradicted";
  return "Inconclusive";
};

/** The verdict on one paired claim, with its text. */
export const pairedVerdict = (claim: PairedClaim): PairedVerdict => {
  const level = claim.level ?? 0.95;
  const { seeds, differences, unpaired } = pairBySeed(claim.a, claim.b);
  const diffName = `${claim.arms[0]} − ${claim.arms[1]}`;
  const left = unpaired.length > 0
    ? `; seed${unpaired.length > 1 ? "s" : ""} ${
      unpaired.join(", ")
    } left out (one arm missing or not finite)`
    : "";
  if (seeds.length === 0) {
    const evidence = `no seed ran both ${claim.arms[0]} and ${claim.arms[1]}${left}`;
    return {
      outcome: "Inconclusive",
      difference: null,
      seeds,
      unpaired,
      evidence,
      text: `Inconclusive: ${claim.claim} — ${evidence}.`,
    };
  }
  const ci = meanInterval(differences, level);
  const outcome = outcomeOf(ci, claim.direction);
  const paper = claim.direction.kind === "equal"
    ? `|${diffName}| < ${num(claim.direction.margin)}`
    : `${diffName} ${claim.direction.kind === "lower" ? "< 0" : "> 0"}`;
  const stated = ci.n < 2
    ? `${diffName} = ${num(ci.mean)} from seed ${seeds[0]} alone, no interval`
    : `paired ${diffName} = ${num(ci.mean)}, ${Math.round(level * 100)}% CI [${num(ci.low)}, ${
      num(ci.high)
    }], n = ${ci.n} seeds`;
  return {
    outcome,
    difference: ci,
    seeds,
    unpaired,
    evidence: `${stated}${left}`,
    text: `${outcome}: ${claim.claim} (paper: ${paper}) — ${stated}${left}.`,
  };
};

/**
 * One outcome for a claim made of several paired claims that must all hold (e.g. "DMD beats both
 * ablations"): Contradicted if any part is, Reproduced if every part is, else Inconclusive (with
 * "(one seed)" when a part had a single seed).
 */
export const allOf = (parts: readonly PairedVerdict[]): VerdictOutcome => {
  if (parts.some((p) => p.outcome === "Contradicted")) return "Contradicted";
  if (parts.length > 0 && parts.every((p) => p.outcome === "Reproduced")) return "Reproduced";
  if (parts.some((p) => p.outcome === "Inconclusive (one seed)")) return "Inconclusive (one seed)";
  return "Inconclusive";
};
