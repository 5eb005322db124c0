/**
 * Axis scales: linear and log10 maps from data to pixels, with "nice" ticks (1-2-5 steps on a
 * linear axis; decades with 2..9 minor ticks on a log axis) and compact tick labels.
 *
 * Data goes in raw: non-finite values (and non-positive ones on a log axis) are ignored when the
 * domain is chosen; empty and single-valued data get a usable default domain. Does not draw.
 */

export type ScaleKind = "linear" | "log";

export interface Scale {
  readonly kind: ScaleKind;
  /** Data values at the two ends of `range`. */
  readonly domain: readonly [number, number];
  /** Pixel positions of the two domain ends (y ranges run bottom → top, so they decrease). */
  readonly range: readonly [number, number];
  /** Labelled ticks, inside the domain. */
  readonly ticks: readonly number[];
  /** Unlabelled ticks (log axes: 2..9 × each decade), inside the domain. */
  readonly minorTicks: readonly number[];
  /** Data value → pixel. Only call it with values `accepts` says yes to. */
  readonly map: (v: number) => number;
  /** Whether `v` can be drawn on this scale (finite; and > 0 on a log scale). */
  readonly accepts: (v: number) => boolean;
  /** Tick label for `v`, with the precision the tick spacing needs. */
  readonly format: (v: number) => string;
}

export interface ScaleOptions {
  readonly kind?: ScaleKind;
  /** The data; non-finite values (and non-positive ones on a log scale) are ignored. */
  readonly values: Iterable<number>;
  readonly range: readonly [number, number];
  /** Fixed domain; replaces the one derived from `values` (no padding, no nicing). */
  readonly domain?: readonly [number, number];
  /**
   * Margin on each side, as a fraction of the span (linear) or of the decades (log); default
   * 0.04. A log domain spanning a decade or more instead ends on a whole decade when one is less
   * than half a decade away ([0.003, 870] → [1e-3, 1e3]).
   */
  readonly pad?: number;
  /** Linear only: stretch the domain to contain 0 (bar charts); no padding on the zero side. */
  readonly includeZero?: boolean;
  /** Linear only: extend the (padded) domain out to whole tick steps. */
  readonly nice?: boolean;
  /** About how many labelled ticks (default 6). */
  readonly targetTicks?: number;
  /** Linear only: the data are counts (epochs, seeds), so ticks never fall between integers. */
  readonly integer?: boolean;
}

const isUsable = (kind: ScaleKind) => (v: number) =>
  Number.isFinite(v) && (kind === "linear" || v > 0);

/** [min, max] of the values a `kind` scale can show, or undefined when there are none. */
export const dataExtent = (
  values: Iterable<number>,
  kind: ScaleKind = "linear",
): [number, number] | undefined => {
  const ok = isUsable(kind);
  let lo = Infinity, hi = -Infinity;
  for (const v of values) {
    if (!ok(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : undefined;
};

/** The 1-2-5 × 10^k step closest (by ratio) to `span / target`. */
export const niceStep = (span: number, target = 6): number => {
  const raw = span / Math.max(1, target);
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const steps = [1, 2, 5, 10].map((m) => m * mag);
  const off = (s: number) => Math.abs(Math.log(s / raw));
  return steps.reduce((best, s) => (off(s) < off(best) ? s : best));
};

/** Decimals needed to write `step` exactly (0.25 → 2, 50 → 0). */
const decimalsOf = (step: number): number => {
  for (let d = 0; d < 15; d++) {
    if (Math.abs(Math.round(step * 10 ** d) / 10 ** d - step) <= Math.abs(step) * 1e-9) return d;
  }
  return 15;
};

/** Multiples of a 1-2-5 step (at least `minStep`) inside [lo, hi], about `target` of them. */
export const linearTicks = (lo: number, hi: number, target = 6, minStep = 0): number[] => {
  if (!(hi > lo) || !Number.isFinite(hi - lo)) return Number.isFinite(lo) ? [lo] : [];
  const step = Math.max(niceStep(hi - lo, target), minStep);
  const d = decimalsOf(step);
  const out: number[] = [];
  const first = Math.ceil(lo / step - 1e-9);
  for (let k = first; k * step <= hi + step * 1e-9; k++) {
    const v = Number((k * step).toFixed(Math.min(d, 20)));
    out.push(v === 0 ? 0 : v); // no -0
  }
  return out;
};

/**
 * Log ticks inside [lo, hi] (both > 0). With 3 or more decades inside: major ticks on decades
 * (every 2nd, 3rd, … when there are many), minor on 2..9 × decade. Fewer: 1-2-5 × 10^k as major
 * (or every 1..9 × 10^k when that gives too few), falling back to linear ticks.
 */
export const logTicks = (lo: number, hi: number): { major: number[]; minor: number[] } => {
  if (!(lo > 0) || !(hi > lo) || !Number.isFinite(hi)) {
    return { major: lo > 0 && Number.isFinite(lo) ? [lo] : [], minor: [] };
  }
  const inside = (v: number) => v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9);
  const e0 = Math.floor(Math.log10(lo) + 1e-9), e1 = Math.ceil(Math.log10(hi) - 1e-9);
  const at = (m: number, e: number) => Number((m * 10 ** e).toPrecision(12));
  const decades: number[] = [];
  for (let e = e0; e <= e1; e++) decades.push(e);
  const majorDecades = decades.filter((e) => inside(at(1, e)));
  if (majorDecades.length >= 3) {
    const stride = Math.ceil(majorDecades.length / 9);
    const major = majorDecades.filter((e) => e % stride === 0).map((e) => at(1, e));
    const minor = stride === 1
      ? decades.flatMap((e) => [2, 3, 4, 5, 6, 7, 8, 9].map((m) => at(m, e))).filter(inside)
      : majorDecades.filter((e) => e % stride !== 0).map((e) => at(1, e));
    return { major, minor };
  }
  // under ~2 decades: label 1, 2, 5 × 10^k too (or every digit when that is still too few)
  const all = decades.flatMap((e) => [1, 2, 3, 4, 5, 6, 7, 8, 9].map((m) => at(m, e)))
    .filter(inside);
  const oneTwoFive = all.filter((v) => [1, 2, 5].includes(Number(v.toExponential(0)[0])));
  if (oneTwoFive.length >= 3) {
    return { major: oneTwoFive, minor: all.filter((v) => !oneTwoFive.includes(v)) };
  }
  if (all.length >= 3) return { major: all, minor: [] };
  return { major: linearTicks(lo, hi, 4).filter((v) => v > 0), minor: all };
};

const SUFFIXES: readonly [number, string][] = [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]];

/** A number written compactly: 0, 0.25, 120, 2.5k, 3M, 2.5e-3, 1e15 (suffixes from `suffixFrom`). */
const compact = (x: number, suffixFrom: number): string => {
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a < 1e-2 || a >= 1e15) return x.toExponential().replace("e+", "e");
  for (const [base, suffix] of SUFFIXES) {
    if (a >= base && a >= suffixFrom) return `${Number((x / base).toPrecision(12))}${suffix}`;
  }
  return String(x);
};

/**
 * Compact label for a tick or a value. With `step` (the tick spacing), `v` is rounded to the
 * decimals the step needs, so 0.30000000000000004 reads "0.3" and 100.01 stays "100.01";
 * without it, to `significant` digits (default 3). Magnitudes from `suffixFrom` (default 1000)
 * get a k/M/G/T suffix.
 */
export const formatTick = (
  v: number,
  step?: number,
  significant = 3,
  suffixFrom = 1e3,
): string => {
  if (!Number.isFinite(v)) return "";
  const x = step !== undefined && step > 0 && Number.isFinite(step)
    ? Number(v.toFixed(Math.min(decimalsOf(step), 20)))
    : Number(v.toPrecision(significant));
  if (step !== undefined && Math.abs(x) < step * 1e-9) return "0";
  return compact(x, suffixFrom);
};

/** A scale for `values` mapped onto `range`; see `ScaleOptions`. */
export const makeScale = (o: ScaleOptions): Scale => {
  const kind = o.kind ?? "linear";
  const accepts = isUsable(kind);
  const pad = o.pad ?? 0.04;
  const target = o.targetTicks ?? 6;
  const [r0, r1] = o.range;
  const fixed = o.domain;
  if (fixed && !(accepts(fixed[0]) && accepts(fixed[1]) && fixed[1] > fixed[0])) {
    throw new RangeError(
      `cannot use the domain [${fixed[0]}, ${fixed[1]}] on a ${kind} scale: the ends must be ` +
        `finite${kind === "log" ? ", > 0" : ""} and increasing`,
    );
  }

  if (kind === "log") {
    let lo: number, hi: number;
    const ext = dataExtent(o.values, "log");
    if (fixed) [lo, hi] = fixed;
    else if (!ext) [lo, hi] = [1, 10];
    else {
      [lo, hi] = ext;
      const l0 = Math.log10(lo), l1 = Math.log10(hi);
      if (l1 - l0 >= 1 - 1e-9) {
        // a decade or more: out to the next whole decade when that is under half a decade away
        // (but not when the data already sits on it), else a margin of `pad` × the decades
        const m = (l1 - l0) * pad;
        const f = Math.floor(l0 + 1e-9), c = Math.ceil(l1 - 1e-9);
        const snap = (waste: number) => waste > 0.02 && waste <= 0.5;
        lo = 10 ** (snap(l0 - f) ? f : l0 - m);
        hi = 10 ** (snap(c - l1) ? c : l1 + m);
      } else {
        // less than a decade: pad in log space (at least a bit, so one value still spans)
        const span = Math.max(Math.log10(hi / lo), 0.3);
        const mid = (Math.log10(lo) + Math.log10(hi)) / 2;
        lo = 10 ** (mid - span / 2 - span * pad);
        hi = 10 ** (mid + span / 2 + span * pad);
      }
    }
    const l0 = Math.log10(lo), l1 = Math.log10(hi);
    const { major, minor } = logTicks(lo, hi);
    return {
      kind,
      domain: [lo, hi],
      range: o.range,
      ticks: major,
      minorTicks: minor,
      accepts,
      map: (v) => r0 + ((Math.log10(v) - l0) / (l1 - l0)) * (r1 - r0),
      format: (v) => formatTick(v, undefined, 3),
    };
  }

  const minStep = o.integer ? 1 : 0;
  let lo: number, hi: number;
  if (fixed) [lo, hi] = fixed;
  else {
    const ext = dataExtent(o.values, "linear");
    [lo, hi] = ext ?? [0, 1];
    if (o.includeZero) [lo, hi] = [Math.min(lo, 0), Math.max(hi, 0)];
    if (hi === lo) {
      const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
      [lo, hi] = o.includeZero && lo === 0 ? [0, 1] : [lo - d, hi + d];
    } else if (ext) {
      const m = (hi - lo) * pad;
      if (!(o.includeZero && lo === 0)) lo -= m;
      if (!(o.includeZero && hi === 0)) hi += m;
    }
    if (o.nice) {
      const step = Math.max(niceStep(hi - lo, target), minStep);
      lo = Math.floor(lo / step + 1e-9) * step;
      hi = Math.ceil(hi / step - 1e-9) * step;
    }
  }
  const ticks = linearTicks(lo, hi, target, minStep);
  const step = Math.max(niceStep(hi - lo, target), minStep);
  // "1000 … 8000" reads better than "1k … 8k": suffixes only once the labels reach 5 digits
  const suffixFrom = Math.max(...ticks.map(Math.abs)) >= 1e4 ? 1e3 : 1e4;
  return {
    kind,
    domain: [lo, hi],
    range: o.range,
    ticks,
    minorTicks: [],
    accepts,
    map: (v) => r0 + ((v - lo) / (hi - lo)) * (r1 - r0),
    format: (v) => formatTick(v, step, 3, suffixFrom),
  };
};
