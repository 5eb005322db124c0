/**
 * Cartesian axes around a plot rectangle: grid lines, frame, tick marks, tick labels (thinned
 * when they would overlap) and axis labels. Shared by the line and bar charts; knows nothing
 * about the data, only about scales.
 */
import type { Scale } from "./scale.ts";
import { el, escapeXml, fitText, num, text, textWidth } from "./svg.ts";

export interface PlotRect {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

export const TICK_FONT = 12;
const LABEL_FONT = 13;

/** Width in px of the widest tick label of `scale`. */
export const tickLabelWidth = (scale: Scale): number =>
  Math.max(0, ...scale.ticks.map((t) => textWidth(scale.format(t), TICK_FONT)));

/** Pixel space the y axis needs left of the plot: axis label, tick labels, tick marks. */
export const yAxisWidth = (scale: Scale): number => 10 + 16 + 8 + tickLabelWidth(scale) + 6;

/** Room right of the plot so the last x tick label is not cut. */
export const xAxisOverhang = (scale: Scale): number => {
  const last = scale.ticks.at(-1);
  return last === undefined ? 0 : textWidth(scale.format(last), TICK_FONT) / 2 + 4;
};

/** Axis label text, saying so when the axis is logarithmic. */
export const axisTitle = (label: string, scale: Scale | undefined): string =>
  scale?.kind === "log" ? `${label} (log scale)` : label;

const inside = (p: number, a: number, b: number) =>
  p >= Math.min(a, b) - 0.5 && p <= Math.max(a, b) + 0.5;

/** Light grid lines at the ticks (fainter ones at minor ticks); drawn first, under the data. */
export const grid = (r: PlotRect, x: Scale | undefined, y: Scale | undefined): string[] => {
  const out: string[] = [];
  const v = (s: Scale, t: number, color: string) => {
    const p = s.map(t);
    if (inside(p, r.left, r.right)) {
      out.push(el("line", { x1: p, y1: r.top, x2: p, y2: r.bottom, stroke: color }));
    }
  };
  const h = (s: Scale, t: number, color: string) => {
    const p = s.map(t);
    if (inside(p, r.top, r.bottom)) {
      out.push(el("line", { x1: r.left, y1: p, x2: r.right, y2: p, stroke: color }));
    }
  };
  if (x) {
    for (const t of x.minorTicks) v(x, t, "#f3f3f3");
    for (const t of x.ticks) v(x, t, "#e3e3e3");
  }
  if (y) {
    for (const t of y.minorTicks) h(y, t, "#f3f3f3");
    for (const t of y.ticks) h(y, t, "#e3e3e3");
  }
  return out;
};

/** The plot frame. */
export const frame = (r: PlotRect): string =>
  el("rect", {
    x: r.left,
    y: r.top,
    width: r.right - r.left,
    height: r.bottom - r.top,
    fill: "none",
    stroke: "#444",
  });

/** Every k-th index so labels of the given widths at the given positions keep 8 px apart. */
const labelStride = (pos: readonly number[], widths: readonly number[]): number => {
  for (let k = 1; k < pos.length; k++) {
    let ok = true;
    for (let i = k; i < pos.length && ok; i += k) {
      const gap = Math.abs(pos[i]! - pos[i - k]!) - (widths[i]! + widths[i - k]!) / 2;
      ok = gap >= 8;
    }
    if (ok) return k;
  }
  return Math.max(1, pos.length);
};

/** Bottom axis: tick marks, labels (thinned so none overlap) and the axis title. */
export const xAxis = (r: PlotRect, x: Scale, label: string): string[] => {
  const out: string[] = [];
  for (const t of x.minorTicks) {
    const p = x.map(t);
    if (inside(p, r.left, r.right)) {
      out.push(el("line", { x1: p, y1: r.bottom, x2: p, y2: r.bottom + 3, stroke: "#444" }));
    }
  }
  const ticks = x.ticks.filter((t) => inside(x.map(t), r.left, r.right));
  const labels = ticks.map((t) => x.format(t));
  const pos = ticks.map((t) => x.map(t));
  const stride = labelStride(pos, labels.map((l) => textWidth(l, TICK_FONT)));
  ticks.forEach((_, i) => {
    const p = pos[i]!;
    out.push(el("line", { x1: p, y1: r.bottom, x2: p, y2: r.bottom + 5, stroke: "#444" }));
    if (i % stride === 0) out.push(text(p, r.bottom + 18, labels[i]!, { "text-anchor": "middle" }));
  });
  out.push(
    text(
      (r.left + r.right) / 2,
      r.bottom + 38,
      fitText(axisTitle(label, x), r.right - r.left, LABEL_FONT),
      {
        "text-anchor": "middle",
        "font-size": LABEL_FONT,
      },
    ),
  );
  return out;
};

/** Left axis: tick marks, labels (thinned so none overlap) and the rotated axis title at `titleX`. */
export const yAxis = (r: PlotRect, y: Scale, label: string, titleX: number): string[] => {
  const out: string[] = [];
  for (const t of y.minorTicks) {
    const p = y.map(t);
    if (inside(p, r.top, r.bottom)) {
      out.push(el("line", { x1: r.left - 3, y1: p, x2: r.left, y2: p, stroke: "#444" }));
    }
  }
  const ticks = y.ticks.filter((t) => inside(y.map(t), r.top, r.bottom));
  const pos = ticks.map((t) => y.map(t));
  const stride = labelStride(pos, ticks.map(() => TICK_FONT + 2));
  ticks.forEach((t, i) => {
    const p = pos[i]!;
    out.push(el("line", { x1: r.left - 5, y1: p, x2: r.left, y2: p, stroke: "#444" }));
    if (i % stride === 0) {
      out.push(text(r.left - 8, p + 4, y.format(t), { "text-anchor": "end" }));
    }
  });
  const cy = (r.top + r.bottom) / 2;
  out.push(
    el(
      "text",
      {
        transform: `translate(${num(titleX)} ${num(cy)}) rotate(-90)`,
        "text-anchor": "middle",
        "font-size": LABEL_FONT,
      },
      escapeXml(fitText(axisTitle(label, y), r.bottom - r.top + 40, LABEL_FONT)),
    ),
  );
  return out;
};
