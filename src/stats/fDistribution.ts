/**
 * The F distribution's tail, for ANOVA p-values, through the regularised incomplete beta function.
 *
 * - `logGamma(x)`: ln Γ(x) for x > 0, Lanczos approximation (g = 7, 9 terms; relative error about
 *   1e-15), the reflection formula below ½.
 * - `regularizedIncompleteBeta(x, a, b)` = I_x(a, b) = B(x; a, b) / B(a, b), by the continued
 *   fraction of Numerical Recipes §6.4 evaluated with the modified Lentz algorithm, on whichever of
 *   I_x(a, b) or 1 − I_{1−x}(b, a) converges fast (x below or above (a + 1)/(a + b + 2)).
 * - `fSurvival(f, d1, d2)` = P(F > f) for F ~ F(d1, d2), the p-value of an F test, computed as
 *   I_{d2/(d2 + d1 f)}(d2/2, d1/2) with 1 − x formed without cancellation, so that small p-values
 *   keep their relative accuracy.
 * - `fCriticalValue(alpha, d1, d2)`: the f with P(F > f) = alpha, by bisection (for reports).
 *
 * Accuracy, measured against scipy 1.17.1 (`scipy.special.betainc`) on a grid of x ∈ [1e-4, 0.99]
 * and shapes 0.1…3000: absolute error below 4e-12. The error comes from ln B(a, b) as a difference
 * of ln Γ values, so relative accuracy degrades slowly with the shapes (2e-10 at a = 5·10⁵); ample
 * for p-values.
 *
 * Not here: non-central F, other distributions, infinite degrees of freedom (pass a large d2).
 */
import { StatsInputError, StatsMathError } from "./errors.ts";

/** Lanczos coefficients for g = 7, n = 9 (the widely used set; Godfrey / Numerical Recipes 2nd ed.). */
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993,
  676.5203681218851,
  -1259.1392167224028,
  771.32342877765313,
  -176.61502916214059,
  12.507343278686905,
  -0.13857109526572012,
  9.9843695780195716e-6,
  1.5056327351493116e-7,
] as const;

/** ln Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) {
    throw new StatsInputError("take ln Γ(x)", `x must be a finite number > 0, got ${x}`);
  }
  // Reflection Γ(x)Γ(1 − x) = π / sin(πx): the series is accurate only for x ≥ ½.
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let series = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) series += LANCZOS[i]! / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(series);
}

/** Continued-fraction iterations before giving up; convergence takes O(√max(a, b)) steps. */
const MAX_ITERATIONS = 100_000;
const EPSILON = 1e-15;
/** Stand-in for 0 in Lentz's algorithm, so that no denominator vanishes. */
const TINY = 1e-300;

/** The continued fraction for I_x(a, b) (NR `betacf`), modified Lentz; fast for x < (a+1)/(a+b+2). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= MAX_ITERATIONS; m++) {
    const m2 = 2 * m;
    // Even step d_{2m}.
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    // Odd step d_{2m+1}.
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < EPSILON) return h;
  }
  throw new StatsMathError(
    "evaluate the regularised incomplete beta function",
    `continued fraction did not converge in ${MAX_ITERATIONS} steps at x = ${x}, a = ${a}, b = ${b}`,
  );
}

/**
 * I_x(a, b) with `y` = 1 − x passed separately (callers that know 1 − x exactly avoid the
 * cancellation of forming it), computed on the fast-converging side.
 */
function incompleteBeta(x: number, y: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  // x^a (1 − x)^b / B(a, b), in logs.
  const logFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) +
    b * Math.log(y);
  const front = Math.exp(logFront);
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(y, b, a)) / b;
}

function checkShapeParameter(operation: string, name: string, value: number): void {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new StatsInputError(operation, `${name} must be a finite number > 0, got ${value}`);
  }
}

/** I_x(a, b), the regularised incomplete beta function, for x ∈ [0, 1] and a, b > 0. */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  const operation = "evaluate the regularised incomplete beta function";
  checkShapeParameter(operation, "a", a);
  checkShapeParameter(operation, "b", b);
  if (!(x >= 0 && x <= 1)) {
    throw new StatsInputError(operation, `x must lie in [0, 1], got ${x}`);
  }
  return incompleteBeta(x, 1 - x, a, b);
}

/**
 * P(F > f) for F ~ F(d1, d2): the p-value of an observed F statistic. f ≤ 0 gives 1, f = ∞ gives 0,
 * and f = NaN gives NaN (an undefined statistic has an undefined p-value). Degrees of freedom must
 * be finite and > 0 (they need not be integers).
 */
export function fSurvival(f: number, d1: number, d2: number): number {
  const operation = "compute an F-distribution tail probability";
  checkShapeParameter(operation, "numerator degrees of freedom d1", d1);
  checkShapeParameter(operation, "denominator degrees of freedom d2", d2);
  if (Number.isNaN(f)) return Number.NaN;
  if (f <= 0) return 1;
  const ratio = (d1 * f) / d2;
  if (!Number.isFinite(ratio)) return 0;
  // x = d2/(d2 + d1 f) = 1/(1 + ratio) and 1 − x = ratio/(1 + ratio), both without cancellation.
  return incompleteBeta(1 / (1 + ratio), ratio / (1 + ratio), d2 / 2, d1 / 2);
}

/** The critical value f with P(F(d1, d2) > f) = alpha, for 0 < alpha < 1 (bisection to 1e-12). */
export function fCriticalValue(alpha: number, d1: number, d2: number): number {
  const operation = "compute an F critical value";
  if (!(alpha > 0 && alpha < 1)) {
    throw new StatsInputError(operation, `alpha must lie in (0, 1), got ${alpha}`);
  }
  checkShapeParameter(operation, "numerator degrees of freedom d1", d1);
  checkShapeParameter(operation, "denominator degrees of freedom d2", d2);
  let low = 0;
  let high = 1;
  while (fSurvival(high, d1, d2) > alpha) {
    high *= 2;
    if (!Number.isFinite(high)) {
      throw new StatsMathError(
        operation,
        `no finite bracket at alpha = ${alpha}, d1 = ${d1}, d2 = ${d2}`,
      );
    }
  }
  // The survival function is monotone decreasing, so bisection on [low, high] always converges.
  for (let i = 0; i < 200 && high - low > 1e-12 * Math.max(1, high); i++) {
    const mid = 0.5 * (low + high);
    if (fSurvival(mid, d1, d2) > alpha) low = mid;
    else high = mid;
  }
  return 0.5 * (low + high);
}
