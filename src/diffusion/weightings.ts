/**
 * Loss weightings of Hang et al. 2023, "Efficient Diffusion Training via Min-SNR Weighting
 * Strategy" (ICCV, arXiv 2303.09556), as docs/methods.md#weightings states them.
 *
 * The paper defines each strategy by an x_0-space weight w(t). A trainer minimises
 * m(t)·mean((target - output)²) on its own target, and since ε-MSE = SNR·x_0-MSE and
 * v-MSE = (SNR+1)·x_0-MSE, the multiplier is m = w (x0), w/SNR (eps), w/(SNR+1) (v).
 *
 *   strategy       w (x_0 space)       name in reports
 *   unweighted     SNR | SNR+1 | 1     m = 1 on any target: the authors' code's "constant"
 *   constant       1                   the paper's "constant" (diverges with ε, per the paper)
 *   snr            SNR
 *   max-snr        max(SNR, γ)
 *   min-snr        min(SNR, γ)
 *   truncated-snr  max(SNR, 1)
 *
 * SNR = 0 (zero terminal SNR) makes w/SNR and 1/(SNR+1)-type cells 0/0 or 1/0 for some rows; like
 * the authors' code, the multiplier is 1 wherever SNR = 0, for every strategy and target (diffusers
 * has no such guard and yields NaN). SNR = ∞ never occurs in a schedule table and is rejected.
 */
import * as v from "valibot";
import { DiffusionConfigError, parseConfig } from "./errors.ts";
import type { Schedule } from "./schedules.ts";
import { type Target, TARGETS } from "./targets.ts";

export const WEIGHTINGS = [
  "unweighted",
  "constant",
  "snr",
  "max-snr",
  "min-snr",
  "truncated-snr",
] as const;
export type Weighting = (typeof WEIGHTINGS)[number];

const Gamma = v.pipe(v.number(), v.gtValue(0), v.finite());

/** A weighting config: γ is required by max-snr and min-snr and refused by the others. */
export const WeightingConfigSchema = v.variant("strategy", [
  v.strictObject({ strategy: v.literal("unweighted") }),
  v.strictObject({ strategy: v.literal("constant") }),
  v.strictObject({ strategy: v.literal("snr") }),
  v.strictObject({ strategy: v.literal("max-snr"), gamma: Gamma }),
  v.strictObject({ strategy: v.literal("min-snr"), gamma: Gamma }),
  v.strictObject({ strategy: v.literal("truncated-snr") }),
]);
export type WeightingConfig = v.InferOutput<typeof WeightingConfigSchema>;

export function parseWeightingConfig(raw: unknown): WeightingConfig {
  return parseConfig("weighting config", WeightingConfigSchema, raw);
}

/** A weighting resolved for one target: checked once, then used by training and reports. */
export interface ResolvedWeighting {
  readonly config: WeightingConfig;
  readonly target: Target;
  /** The multiplier m(t) on the target's own MSE at a given SNR (docs/methods.md#weightings table). */
  multiplier(snr: number): number;
  /** Short name for arms, series and tables, e.g. `min-snr-5`, `unweighted`. */
  readonly label: string;
  /**
   * A sentence for reports saying which weighting ran, and in particular which "constant":
   * e.g. `unweighted: multiplier 1 on the eps-MSE (the Min-SNR authors' code's "constant" loss
   * type; x0-space weight SNR)`.
   */
  readonly describe: string;
}

/** Resolves (and checks) a weighting config for `target`. */
export function resolveWeighting(config: WeightingConfig, target: Target): ResolvedWeighting {
  checkTarget(target);
  const gamma = checkGamma(config.strategy, "gamma" in config ? config.gamma : undefined);
  const w = { strategy: config.strategy, gamma };
  return {
    config,
    target,
    multiplier: (snr) => {
      checkSnr(snr);
      if (w.strategy === "unweighted" || snr === 0) return 1;
      const weight = x0Weight(w, snr, target);
      switch (target) {
        case "x0":
          return weight;
        case "eps":
          return weight / snr;
        case "v":
          // The (SNR+1) divisor: v-MSE = (SNR+1)·x_0-MSE. Dividing by SNR was a bug in early trainers.
          return weight / (snr + 1);
      }
    },
    label: `${w.strategy}${Number.isNaN(gamma) ? "" : `-${gamma}`}`,
    describe: describe(w, target),
  };
}

/** The config of a strategy name and optional γ (checked by `resolveWeighting`). */
const configOf = (strategy: Weighting, gamma?: number) =>
  (gamma === undefined ? { strategy } : { strategy, gamma }) as WeightingConfig;

/**
 * The paper's x_0-space weight w(t). `unweighted` has no fixed w: it depends on the target
 * (SNR for eps, SNR+1 for v, 1 for x0), so it needs `target`.
 */
export function xZeroSpaceWeight(
  strategy: Weighting,
  snr: number,
  gamma?: number,
  target?: Target,
): number {
  checkSnr(snr);
  const g = checkGamma(strategy, gamma);
  if (strategy === "unweighted") {
    if (target === undefined) {
      throw new DiffusionConfigError("weighting", [
        {
          field: "target",
          message: `"unweighted" has an x0-space weight only for a given target`,
        },
      ]);
    }
    checkTarget(target);
  }
  return x0Weight({ strategy, gamma: g }, snr, target ?? "x0");
}

/** The multiplier m(t) on the target's own MSE (docs/methods.md#weightings); 1 wherever SNR = 0. */
export function lossMultiplier(
  strategy: Weighting,
  target: Target,
  snr: number,
  gamma?: number,
): number {
  return resolveWeighting(configOf(strategy, gamma), target).multiplier(snr);
}

/** The multiplier for every t of a schedule: the table a training loop gathers by t. */
export function lossMultiplierTable(
  weighting: ResolvedWeighting,
  schedule: Schedule,
): Float64Array {
  return schedule.snr.map(weighting.multiplier);
}

// ---- private ----

/** A checked strategy and its γ (NaN for strategies without one). */
interface Checked {
  readonly strategy: Weighting;
  readonly gamma: number;
}

function x0Weight({ strategy, gamma }: Checked, snr: number, target: Target): number {
  switch (strategy) {
    case "unweighted":
      return target === "eps" ? snr : target === "v" ? snr + 1 : 1;
    case "constant":
      return 1;
    case "snr":
      return snr;
    case "max-snr":
      return Math.max(snr, gamma);
    case "min-snr":
      return Math.min(snr, gamma);
    case "truncated-snr":
      return Math.max(snr, 1);
  }
}

function describe({ strategy, gamma: g }: Checked, target: Target): string {
  const multiplierOf = (w: string) =>
    target === "x0" ? w : target === "eps" ? `${w}/SNR` : `${w}/(SNR+1)`;
  const tail = `on the ${target}-MSE, 1 where SNR = 0`;
  switch (strategy) {
    case "unweighted": {
      const w = target === "eps" ? "SNR" : target === "v" ? "SNR+1" : "1";
      return `unweighted: multiplier 1 on the ${target}-MSE (the Min-SNR authors' code's "constant" ` +
        `loss type; x0-space weight ${w})`;
    }
    case "constant":
      return `constant: the paper's x0-space weight 1 (multiplier ${multiplierOf("1")} ${tail}; ` +
        `not the authors' code's "constant", which is "unweighted")`;
    case "snr":
      return `SNR: x0-space weight SNR (multiplier ${multiplierOf("SNR")} ${tail})`;
    case "max-snr":
      return `max-SNR-γ (γ=${g}): x0-space weight max(SNR, ${g}) (multiplier ${
        multiplierOf(`max(SNR, ${g})`)
      } ${tail})`;
    case "min-snr":
      return `min-SNR-γ (γ=${g}): x0-space weight min(SNR, ${g}) (multiplier ${
        multiplierOf(`min(SNR, ${g})`)
      } ${tail})`;
    case "truncated-snr":
      return `truncated-SNR: x0-space weight max(SNR, 1) (multiplier ${
        multiplierOf("max(SNR, 1)")
      } ${tail})`;
  }
}

function checkSnr(snr: number): void {
  if (!(snr >= 0 && Number.isFinite(snr))) {
    throw new RangeError(`SNR must be finite and ≥ 0, got ${snr}`);
  }
}

function checkTarget(target: string): void {
  if (!(TARGETS as readonly string[]).includes(target)) {
    throw new DiffusionConfigError("weighting", [
      {
        field: "target",
        message: `unknown target "${target}", expected one of ${TARGETS.join(", ")}`,
      },
    ]);
  }
}

/** Validates the strategy name and γ's presence: returns γ for max/min-snr, NaN otherwise. */
function checkGamma(strategy: string, gamma: number | undefined): number {
  if (!(WEIGHTINGS as readonly string[]).includes(strategy)) {
    throw new DiffusionConfigError("weighting", [
      {
        field: "strategy",
        message: `unknown strategy "${strategy}", expected one of ${WEIGHTINGS.join(", ")}`,
      },
    ]);
  }
  const needs = strategy === "max-snr" || strategy === "min-snr";
  if (needs && !(gamma !== undefined && gamma > 0 && Number.isFinite(gamma))) {
    throw new DiffusionConfigError("weighting", [
      { field: "gamma", message: `"${strategy}" needs a finite γ > 0, got ${gamma}` },
    ]);
  }
  if (!needs && gamma !== undefined) {
    throw new DiffusionConfigError("weighting", [
      { field: "gamma", message: `"${strategy}" takes no γ, got ${gamma}` },
    ]);
  }
  return gamma ?? Number.NaN;
}
