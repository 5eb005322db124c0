/**
 * Grouped bar charts as self-contained SVG strings: categories along x, one bar per series in
 * each category, optional error bars (± spread, or separate minus/plus), a legend over the plot,
 * a `<title>` tooltip per bar with its value. Category labels wrap, then tilt, when they would
 * collide. Missing values (null, NaN; ≤ 0 on a log axis) leave a grey "n/a" in the slot.
 */
import { formatTick, makeScale, type ScaleKind } from "./scale.ts";
import { frame, grid, type PlotRect, TICK_FONT, yAxis, yAxisWidth } from "./axes.ts";
import { drawLegend, type LegendItem, legendLayout } from "./legend.ts";
import { seriesStyle } from "./color.ts";
import {
  el,
  fitText,
  num,
  svgDocument,
  text,
  textWidth,
  titleBlock,
  tooltip,
  wrapText,
} from "./svg.ts";

/** ± spread, or [minus, plus] for an asymmetric interval; null for none. */
export type ErrorBar = number | readonly [number, number] | null;

export interface BarSeries {
  readonly name: string;
  /** One value per category; null or NaN for a missing one. */
  readonly values: readonly (number | null)[];
  /** One error bar per category (e.g. the std over seeds), drawn as value − minus … value + plus. */
  readonly errors?: readonly ErrorBar[];
  readonly color?: string;
}

export interface BarChartOptions {
  readonly title: string;
  readonly subtitle?: string;
  /** Label under the categories (optional: categories often speak for themselves). */
  readonly xLabel?: string;
  /** Put units in it, e.g. "FD-clf (lower is better)". */
  readonly yLabel: string;
  readonly categories: readonly string[];
  readonly series: readonly BarSeries[];
  readonly yScale?: ScaleKind;
  /** Size of the whole SVG in px (default 720 × 420). */
  readonly width?: number;
  readonly height?: number;
  /** Print each value above its bar when there is room. */
  readonly showValues?: boolean;
  /** Horizontal reference lines (e.g. a baseline), named in the legend rather than on the bars. */
  readonly hLines?: readonly {
    readonly y: number;
    readonly label: string;
    readonly color?: string;
  }[];
  /** Legend over the plot: "auto" (default) shows it for 2+ series or any reference line. */
  readonly legend?: "auto" | "none";
}

const value = (v: number) => String(Number(v.toPrecision(4)));

const spread = (e: ErrorBar | undefined): [number, number] | undefined => {
  if (e === null || e === undefined) return undefined;
  const [m, p] = typeof e === "number" ? [e, e] : e;
  return Number.isFinite(m) && Number.isFinite(p) && m >= 0 && p >= 0 ? [m, p] : undefined;
};

export const barChart = (o: BarChartOptions): string => {
  const W = o.width ?? 720, H = o.height ?? 420;
  const kind = o.yScale ?? "linear";
  const nCat = o.categories.length, nSer = o.series.length;
  for (const s of o.series) {
    if (s.values.length !== nCat || (s.errors && s.errors.length !== nCat)) {
      throw new RangeError(
        `cannot draw the bar series "${s.name}": it has ${s.values.length} values` +
          `${s.errors ? ` and ${s.errors.length} error bars` : ""} for ${nCat} categories`,
      );
    }
  }
  const ok = (v: number | null): v is number =>
    v !== null && Number.isFinite(v) && (kind === "linear" || v > 0);
  const ys: number[] = [...(o.hLines ?? []).map((h) => h.y)];
  for (const s of o.series) {
    s.values.forEach((v, c) => {
      if (!ok(v)) return;
      ys.push(v);
      const e = spread(s.errors?.[c]);
      if (e) ys.push(v - e[0], v + e[1]);
    });
  }

  const body: string[] = [];
  let top = titleBlock(W, o.title, o.subtitle, body);
  const styles = o.series.map((s, i) => seriesStyle(i, s.color));
  const items: LegendItem[] = [
    ...o.series.map((s, i) => ({ name: s.name, color: styles[i]!.color, shape: "box" as const })),
    ...(o.hLines ?? []).map((h) => ({
      name: h.label,
      color: h.color ?? "#666",
      dash: "4 3",
      shape: "line" as const,
    })),
  ];
  const showLegend = (o.legend ?? "auto") === "auto" && (nSer >= 2 || (o.hLines ?? []).length > 0);
  const legend = legendLayout(items, W - 24);
  if (showLegend) {
    body.push(...drawLegend(items, Math.max(12, (W - legend.width) / 2), top - 6, legend, false));
    top += legend.height;
  }

  // category labels: one line if they fit their slot, else two, else tilted by 35°
  const yProvisional = makeScale({
    kind,
    values: ys,
    range: [0, 1],
    includeZero: true,
    nice: true,
  });
  const left = yAxisWidth(yProvisional), right = W - 16;
  const slot = (right - left) / Math.max(1, nCat);
  const wrapped = o.categories.map((c) => wrapText(c, slot - 6, TICK_FONT, 2));
  const twoLines = o.categories.every((c, i) =>
    wrapped[i]!.join(" ") === c.trim().split(/\s+/).join(" ") &&
    wrapped[i]!.every((l) => textWidth(l, TICK_FONT) <= slot - 6)
  );
  const tilt = !twoLines;
  const tiltLabels = o.categories.map((c) => fitText(c, 150, TICK_FONT));
  const labelH = tilt
    ? Math.max(...tiltLabels.map((c) => textWidth(c, TICK_FONT)), 0) *
        Math.sin(Math.PI * 35 / 180) + 22
    : Math.max(1, ...wrapped.map((l) => l.length)) * 15 + 8;
  const xTitleH = o.xLabel ? 22 : 0;
  const r: PlotRect = { left, top: top + 4, right, bottom: H - labelH - xTitleH - 8 };
  const Y = makeScale({
    kind,
    values: ys,
    range: [r.bottom, r.top],
    includeZero: true,
    nice: true,
  });
  const base = kind === "log" ? r.bottom : Y.map(Math.min(Math.max(0, Y.domain[0]), Y.domain[1]));

  body.push(...grid(r, undefined, Y));
  const group = slot * 0.8, barW = group / Math.max(1, nSer);
  o.series.forEach((s, i) => {
    const { color } = styles[i]!;
    s.values.forEach((v, c) => {
      const x = left + c * slot + (slot - group) / 2 + i * barW;
      const cx = x + barW / 2;
      const what = `${s.name} · ${o.categories[c]}`;
      if (!ok(v)) {
        body.push(el(
          "text",
          {
            x: cx,
            y: base - 4,
            "text-anchor": "middle",
            "font-size": 10,
            fill: "#888",
            "data-missing": "true",
          },
          `${barW >= 18 ? "n/a" : ""}${tooltip(`${what}: n/a`)}`,
        ));
        return;
      }
      const y = Y.map(v);
      const e = spread(s.errors?.[c]);
      const tip = `${what}: ${value(v)}${
        e ? e[0] === e[1] ? ` ± ${value(e[0])}` : ` (−${value(e[0])}, +${value(e[1])})` : ""
      }`;
      body.push(el("rect", {
        x: x + 0.5,
        y: Math.min(y, base),
        width: Math.max(1, barW - 1),
        height: Math.abs(base - y),
        fill: color,
        "data-series": s.name,
        "data-category": o.categories[c],
      }, tooltip(tip)));
      let labelY = Math.min(y, base) - 4;
      if (e) {
        const lo = v - e[0], hi = v + e[1];
        const y0 = Y.accepts(lo) ? Y.map(lo) : r.bottom, y1 = Y.map(hi);
        const cap = Math.min(10, barW * 0.5) / 2;
        body.push(el("path", {
          d: `M${num(cx, 1)} ${num(y0, 1)} V${num(y1, 1)} M${num(cx - cap, 1)} ${num(y0, 1)} h${
            num(2 * cap, 1)
          } M${num(cx - cap, 1)} ${num(y1, 1)} h${num(2 * cap, 1)}`,
          stroke: "#222",
          "stroke-width": 1.2,
          fill: "none",
        }));
        labelY = Math.min(labelY, y1 - 4);
      }
      const shown = formatTick(v, undefined, 3);
      if (o.showValues && textWidth(shown, 10) <= slot / Math.max(1, nSer) + 4) {
        body.push(text(cx, v < 0 && kind === "linear" ? Math.max(y, base) + 12 : labelY, shown, {
          "text-anchor": "middle",
          "font-size": 10,
          fill: "#333",
        }));
      }
    });
  });
  if (kind === "linear" && base > r.top && base < r.bottom) {
    body.push(el("line", { x1: r.left, y1: base, x2: r.right, y2: base, stroke: "#444" }));
  }
  for (const h of o.hLines ?? []) {
    if (!Y.accepts(h.y)) continue;
    const y = Y.map(h.y), c = h.color ?? "#666";
    body.push(
      el(
        "line",
        {
          x1: r.left,
          y1: y,
          x2: r.right,
          y2: y,
          stroke: c,
          "stroke-width": 1.5,
          "stroke-dasharray": "4 3",
        },
        tooltip(h.label),
      ),
    );
  }
  body.push(frame(r));
  body.push(...yAxis(r, Y, o.yLabel, 22));
  o.categories.forEach((_, c) => {
    const cx = left + (c + 0.5) * slot;
    if (tilt) {
      body.push(text(cx, r.bottom + 14, tiltLabels[c]!, {
        "text-anchor": "end",
        transform: `rotate(-35 ${num(cx)} ${num(r.bottom + 14)})`,
      }));
    } else {
      wrapped[c]!.forEach((line, k) => {
        body.push(text(cx, r.bottom + 17 + 15 * k, line, { "text-anchor": "middle" }));
      });
    }
  });
  if (o.xLabel) {
    body.push(text((r.left + r.right) / 2, H - 10, fitText(o.xLabel, r.right - r.left, 13), {
      "text-anchor": "middle",
      "font-size": 13,
    }));
  }
  return svgDocument(W, H, body);
};
