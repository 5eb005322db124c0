/**
 * Line charts as self-contained SVG strings: title (and subtitle), axis labels, nice ticks on
 * linear or log10 axes, reference lines, a legend in a corner free of data (or under the plot
 * when no corner is free), one `<path data-series="…">` per series with a hover `<title>`, and,
 * with `markers`, a dot per point with its own `<title>` giving the values.
 *
 * A series may carry a band (x, low, high), e.g. a 95% confidence interval over seeds, drawn as
 * a translucent area of the series' colour under its line; the axes make room for it.
 *
 * Points that cannot be drawn (non-finite; ≤ 0 on a log axis) break the line there, like a gap
 * in the data, and a footnote says how many were left out. Does not write files (see png.ts).
 */
import { makeScale, type Scale, type ScaleKind } from "./scale.ts";
import { frame, grid, type PlotRect, xAxis, xAxisOverhang, yAxis, yAxisWidth } from "./axes.ts";
import {
  type Box,
  boxHitsLines,
  drawLegend,
  freeCorner,
  type LegendItem,
  legendLayout,
} from "./legend.ts";
import { sequentialColor, seriesStyle } from "./color.ts";
import { el, hashId, num, svgDocument, text, textWidth, titleBlock, tooltip } from "./svg.ts";

export interface Series {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
  readonly dashed?: boolean;
  /** Any SVG colour; default: the palette colour for the series' position. */
  readonly color?: string;
  /** A shaded band around the line: (x, low, high) triples, e.g. a confidence interval. */
  readonly band?: readonly (readonly [number, number, number])[];
}

export interface RefLine {
  readonly label: string;
  readonly color?: string;
}

export interface LineChartOptions {
  readonly title: string;
  /** A smaller second line under the title (e.g. which weighting ran). */
  readonly subtitle?: string;
  /** Axis labels; put units in them, e.g. "wall time (s)". */
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly xScale?: ScaleKind;
  readonly yScale?: ScaleKind;
  /** Size of the whole SVG in px (default 720 × 440); the plot area is what remains. */
  readonly width?: number;
  readonly height?: number;
  /** A dot on every point, each with a tooltip of its values. */
  readonly markers?: boolean;
  /** Horizontal reference lines (e.g. a baseline's final score). */
  readonly hLines?: readonly (RefLine & { readonly y: number })[];
  /** Vertical reference lines (e.g. the step where the learning rate drops). */
  readonly vLines?: readonly (RefLine & { readonly x: number })[];
  /** Fixed axis domains (shared axes across small multiples); data outside is clipped. */
  readonly xDomain?: readonly [number, number];
  readonly yDomain?: readonly [number, number];
  /**
   * "categorical" (default): Okabe–Ito colours, then dash patterns once they repeat.
   * "sequential": a viridis ramp in series order, for ordered series (one curve per step).
   */
  readonly palette?: "categorical" | "sequential";
  /** "auto" (default): a free corner inside the plot, else under it. */
  readonly legend?: "auto" | "below" | "none";
}

const DEFAULT_WIDTH = 720;
const DEFAULT_HEIGHT = 440;

type Pt = readonly [number, number];

/** Runs of consecutive drawable points; a point `ok` rejects ends the run. */
const runs = (points: readonly Pt[], ok: (p: Pt) => boolean): Pt[][] => {
  const out: Pt[][] = [];
  let cur: Pt[] = [];
  for (const p of points) {
    if (ok(p)) cur.push(p);
    else if (cur.length) {
      out.push(cur);
      cur = [];
    }
  }
  if (cur.length) out.push(cur);
  return out;
};

/** Reference-line labels get a white outline so they stay legible over a curve. */
const HALO = {
  "font-size": 11,
  "paint-order": "stroke",
  stroke: "white",
  "stroke-width": 3,
  "stroke-linejoin": "round",
} as const;

const value = (v: number) => String(Number(v.toPrecision(6)));

/**
 * Reference lines with their labels; each label goes to the first of four spots along its line
 * (ends, above or below; top or bottom, either side for a vertical line) that covers no data.
 */
const refLines = (
  r: PlotRect,
  X: Scale,
  Y: Scale,
  o: LineChartOptions,
  data: readonly (readonly Pt[])[],
): { box: Box; line: string; label: string }[] => {
  const out: { box: Box; line: string; label: string }[] = [];
  const place = (
    label: string,
    color: string,
    line: string,
    spots: [number, number, boolean][],
  ) => {
    const w = textWidth(label, 11);
    const boxes = spots.map(([x, y, end]) => ({
      box: { x: end ? x - w : x, y: y - 11, width: w, height: 14 },
      x,
      y,
      end,
    }));
    const s = boxes.find((c) => !boxHitsLines(c.box, data)) ?? boxes[0]!;
    out.push({
      box: s.box,
      line,
      label: text(s.x, s.y, label, {
        "text-anchor": s.end ? "end" : "start",
        ...HALO,
        fill: color,
      }),
    });
  };
  const dashed = { "stroke-dasharray": "2 3" };
  for (const h of o.hLines ?? []) {
    if (!Y.accepts(h.y)) continue;
    const y = Y.map(h.y), c = h.color ?? "#666";
    const line = el("line", { x1: r.left, y1: y, x2: r.right, y2: y, stroke: c, ...dashed });
    place(h.label, c, line, [
      [r.right - 6, y - 4, true],
      [r.left + 6, y - 4, false],
      [r.right - 6, y + 13, true],
      [r.left + 6, y + 13, false],
    ]);
  }
  for (const v of o.vLines ?? []) {
    if (!X.accepts(v.x)) continue;
    const x = X.map(v.x), c = v.color ?? "#666";
    const line = el("line", { x1: x, y1: r.top, x2: x, y2: r.bottom, stroke: c, ...dashed });
    const nearRight = x > r.left + 0.7 * (r.right - r.left);
    const [a, b] = nearRight
      ? [[x - 4, true], [x + 4, false]] as const
      : [[x + 4, false], [x - 4, true]] as const;
    place(v.label, c, line, [
      [a[0], r.top + 15, a[1]],
      [b[0], r.top + 15, b[1]],
      [a[0], r.bottom - 6, a[1]],
      [b[0], r.bottom - 6, b[1]],
    ]);
  }
  return out;
};

export const lineChart = (o: LineChartOptions): string => {
  const W = o.width ?? DEFAULT_WIDTH, H = o.height ?? DEFAULT_HEIGHT;
  const xKind = o.xScale ?? "linear", yKind = o.yScale ?? "linear";
  const okX = (v: number) => Number.isFinite(v) && (xKind === "linear" || v > 0);
  const okY = (v: number) => Number.isFinite(v) && (yKind === "linear" || v > 0);
  const drawable = o.series.map((s) => runs(s.points, ([x, y]) => okX(x) && okY(y)));
  const skipped = o.series.reduce((n, s) => n + s.points.length, 0) -
    drawable.reduce((n, rs) => n + rs.reduce((m, r) => m + r.length, 0), 0);
  // a band is two edges (low and high) over the same xs; an undrawable triple breaks both
  const bands = o.series.map((s) => {
    const ok = (s.band ?? []).map(([x, lo, hi]) => okX(x) && okY(lo) && okY(hi));
    const edge = (k: 1 | 2) =>
      runs(
        (s.band ?? []).map((b, i) => (ok[i] ? [b[0], b[k]] : [NaN, NaN]) as Pt),
        ([x]) => Number.isFinite(x),
      );
    return { low: edge(1), high: edge(2) };
  });
  const bandPts = bands.flatMap((b) => [...b.low.flat(), ...b.high.flat()]);
  const xs = [
    ...drawable.flat(2).map((p) => p[0]),
    ...bandPts.map((p) => p[0]),
    ...(o.vLines ?? []).map((l) => l.x),
  ];
  const ys = [
    ...drawable.flat(2).map((p) => p[1]),
    ...bandPts.map((p) => p[1]),
    ...(o.hLines ?? []).map((l) => l.y),
  ];
  const scale = (
    kind: ScaleKind,
    values: number[],
    range: [number, number],
    d?: readonly [number, number],
  ) =>
    makeScale({
      kind,
      values,
      range,
      // whole-number data (epochs, counts) get no ticks between integers
      integer: values.length > 0 && values.every(Number.isInteger),
      ...(d ? { domain: d } : {}),
    });

  const body: string[] = [];
  const top = titleBlock(W, o.title, o.subtitle, body) + 4;
  const footH = skipped > 0 ? 14 : 0;
  const sequential = (o.palette ?? "categorical") === "sequential";
  const styles = o.series.map((s, i) =>
    sequential
      ? seriesStyle(0, s.color ?? sequentialColor(i, o.series.length), s.dashed)
      : seriesStyle(i, s.color, s.dashed)
  );
  const items: LegendItem[] = o.series.map((s, i) => ({
    name: drawable[i]!.length ? s.name : `${s.name} (no data)`,
    color: styles[i]!.color,
    dash: styles[i]!.dash,
    shape: "line",
    marker: o.markers ?? false,
  }));

  // the plot rectangle leaves room for the y tick labels, the last x tick label and the legend
  const provisionalX = scale(xKind, xs, [0, 1], o.xDomain);
  const provisionalY = scale(yKind, ys, [0, 1], o.yDomain);
  const layout = (legendH: number) => {
    const r: PlotRect = {
      left: yAxisWidth(provisionalY),
      top,
      right: W - Math.max(16, xAxisOverhang(provisionalX)),
      bottom: H - 48 - footH - legendH,
    };
    const X = scale(xKind, xs, [r.left, r.right], o.xDomain);
    const Y = scale(yKind, ys, [r.bottom, r.top], o.yDomain);
    const toPx = (rs: readonly (readonly Pt[])[]) =>
      rs.map((run) => run.map(([x, y]) => [X.map(x), Y.map(y)] as Pt));
    const px = drawable.map(toPx);
    const bandPx = bands.map((b) => ({ low: toPx(b.low), high: toPx(b.high) }));
    // band edges count as data where labels and the legend must not go
    const obstacles = [...px.flat(), ...bandPx.flatMap((b) => [...b.low, ...b.high])];
    return { r, X, Y, px, bandPx, obstacles };
  };
  let g = layout(0);

  // reference-line labels avoid the data and are obstacles for the legend
  let refs = refLines(g.r, g.X, g.Y, o, g.obstacles);

  let legendAt: { x: number; y: number; framed: boolean } | undefined;
  let legend = legendLayout(items, W - 24);
  const mode = o.legend ?? "auto";
  if (items.length > 0 && mode !== "none") {
    const corner = mode === "auto" && items.length <= 10
      ? legendLayout(items, 0.5 * (g.r.right - g.r.left), 1)
      : undefined;
    const spot = corner && corner.height <= 0.6 * (g.r.bottom - g.r.top)
      ? freeCorner(g.r, corner.width, corner.height, g.obstacles, refs.map((l) => l.box))
      : undefined;
    if (corner && spot) {
      legend = corner;
      legendAt = { x: spot.x, y: spot.y, framed: true };
    } else {
      g = layout(legend.height + 6);
      refs = refLines(g.r, g.X, g.Y, o, g.obstacles);
      legendAt = { x: 12, y: g.r.bottom + 48, framed: false };
    }
  }
  const { r, X, Y, px, bandPx } = g;

  body.push(...grid(r, X, Y));
  const data: string[] = [];
  for (const l of refs) data.push(l.line);
  o.series.forEach((s, i) => {
    const { low, high } = bandPx[i]!;
    const d = high.map((up, k) => {
      const down = [...low[k]!].reverse();
      return [...up, ...down].map(([x, y], j) => `${j === 0 ? "M" : "L"}${num(x, 1)} ${num(y, 1)}`)
        .join(" ") + " Z";
    }).join(" ");
    if (d !== "") {
      data.push(el("path", {
        "data-band": s.name,
        d,
        fill: styles[i]!.color,
        "fill-opacity": 0.18,
        stroke: "none",
      }, tooltip(`${s.name}: band`)));
    }
  });
  o.series.forEach((s, i) => {
    const { color, dash } = styles[i]!;
    const d = px[i]!.map((run) =>
      run.map(([x, y], j) => `${j === 0 ? "M" : "L"}${num(x, 1)} ${num(y, 1)}`).join(" ") +
      (run.length === 1 ? " h0" : "")
    ).join(" ");
    data.push(el(
      "path",
      {
        "data-series": s.name,
        d,
        fill: "none",
        stroke: color,
        "stroke-width": 2,
        "stroke-linejoin": "round",
        "stroke-linecap": "round",
        "stroke-dasharray": dash,
      },
      tooltip(s.name),
    ));
    if (o.markers) {
      const at = px[i]!.flat();
      drawable[i]!.flat().forEach(([x, y], j) => {
        const [cx, cy] = at[j]!;
        data.push(el(
          "circle",
          { cx, cy, r: 3, fill: color },
          tooltip(`${s.name}\n${o.xLabel}: ${value(x)}\n${o.yLabel}: ${value(y)}`),
        ));
      });
    }
  });
  // the id is derived from what it clips, so charts inlined into one page never share one wrongly
  const clipRect = el("rect", {
    x: r.left - 3,
    y: r.top - 3,
    width: r.right - r.left + 6,
    height: r.bottom - r.top + 6,
  });
  const clip = hashId("clip", clipRect + data.join("\n"));
  body.push(el("clipPath", { id: clip }, clipRect));
  body.push(el("g", { "clip-path": `url(#${clip})` }, data.join("\n")));
  for (const l of refs) body.push(l.label);
  body.push(frame(r));
  body.push(...xAxis(r, X, o.xLabel));
  body.push(...yAxis(r, Y, o.yLabel, 22));
  if (drawable.every((rs) => rs.length === 0)) {
    body.push(text((r.left + r.right) / 2, (r.top + r.bottom) / 2, "no data", {
      "text-anchor": "middle",
      fill: "#888",
      "font-size": 14,
    }));
  }
  if (legendAt) body.push(...drawLegend(items, legendAt.x, legendAt.y, legend, legendAt.framed));
  if (skipped > 0) {
    const why = [xKind, yKind].includes("log") ? "non-finite, or ≤ 0 on a log axis" : "non-finite";
    body.push(text(12, H - 6, `${skipped} point${skipped === 1 ? "" : "s"} not drawn (${why})`, {
      "font-size": 10,
      fill: "#666",
    }));
  }
  return svgDocument(W, H, body);
};
