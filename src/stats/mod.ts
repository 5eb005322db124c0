/** Statistics for study reports: ANOVA, the F distribution, least squares. */
export { StatsInputError, StatsMathError } from "./errors.ts";
export type { StatsError } from "./errors.ts";
export { fCriticalValue, fSurvival, logGamma, regularizedIncompleteBeta } from "./fDistribution.ts";
export { ALIAS_TOLERANCE, leastSquares } from "./leastSquares.ts";
export type { LeastSquaresFit } from "./leastSquares.ts";
export { mainEffectsAnova, oneWayAnova } from "./anova.ts";
export type { AnovaRow, AnovaTable, Observation } from "./anova.ts";
export { anovaReportTable } from "./reportTable.ts";
export type { ReportCell, ReportTable } from "./reportTable.ts";
export { tQuantile, tSurvival } from "./tDistribution.ts";
export { formatMeanInterval, meanInterval } from "./confidenceInterval.ts";
export type { MeanInterval } from "./confidenceInterval.ts";
export { allOf, pairBySeed, pairedVerdict } from "./pairedVerdict.ts";
export type {
  PairedClaim,
  PairedVerdict,
  PaperDirection,
  VerdictOutcome,
} from "./pairedVerdict.ts";
export { formatIntervalCell, intervalCell } from "./intervalCell.ts";
export type { IntervalCell } from "./intervalCell.ts";
