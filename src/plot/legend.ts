/**
 * Legends: measuring a block of entries (one column for a corner, several for a strip under or
 * over the plot), drawing it, and finding a corner of the plot where it covers no data.
 */
import { el, fitText, text, textWidth } from "./svg.ts";
import type { PlotRect } from "./axes.ts";

export interface LegendItem {
  readonly name: string;
  readonly color: string;
  /** Dash pattern of a line swatch; undefined = solid. */
  readonly dash?: string | undefined;
  /** A line (line charts) or a filled box (bars). */
  readonly shape: "line" | "box";
  readonly marker?: boolean;
}

export interface LegendLayout {
  readonly width: number;
  readonly height: number;
  readonly columns: number;
  readonly rows: number;
  readonly colWidth: number;
}

const FONT = 12;
const ROW = 18;
const SWATCH = 26;
const PAD = 6;
const COL_GAP = 14;

const itemWidth = (it: LegendItem) => SWATCH + 6 + textWidth(it.name, FONT);

/**
 * Size of the legend in at most `maxWidth` px: as many columns as fit (at most `maxColumns`),
 * filled column by column; names too long for a column are cut with an ellipsis.
 */
export const legendLayout = (
  items: readonly LegendItem[],
  maxWidth: number,
  maxColumns = Infinity,
): LegendLayout => {
  const inner = Math.max(40, maxWidth - 2 * PAD);
  const colWidth = Math.min(inner, Math.max(0, ...items.map(itemWidth)));
  const columns = Math.max(
    1,
    Math.min(items.length, maxColumns, Math.floor((inner + COL_GAP) / (colWidth + COL_GAP))),
  );
  const rows = Math.ceil(items.length / columns);
  return {
    width: columns * colWidth + (columns - 1) * COL_GAP + 2 * PAD,
    height: rows * ROW + 2 * PAD - 4,
    columns,
    rows,
    colWidth,
  };
};

/** Draw the legend with its top-left corner at (x, y); `framed` puts it on a white card. */
export const drawLegend = (
  items: readonly LegendItem[],
  x: number,
  y: number,
  l: LegendLayout,
  framed: boolean,
): string[] => {
  const out: string[] = [];
  if (framed) {
    out.push(el("rect", {
      x,
      y,
      width: l.width,
      height: l.height,
      fill: "white",
      "fill-opacity": 0.9,
      stroke: "#bbb",
      rx: 3,
    }));
  }
  items.forEach((it, i) => {
    const col = Math.floor(i / l.rows), row = i % l.rows;
    const x0 = x + PAD + col * (l.colWidth + COL_GAP);
    const cy = y + PAD + row * ROW + 7;
    if (it.shape === "box") {
      out.push(el("rect", { x: x0 + 6, y: cy - 6, width: 14, height: 12, fill: it.color }));
    } else {
      out.push(el("line", {
        x1: x0,
        y1: cy,
        x2: x0 + SWATCH,
        y2: cy,
        stroke: it.color,
        "stroke-width": 2.5,
        "stroke-dasharray": it.dash,
      }));
      if (it.marker) out.push(el("circle", { cx: x0 + SWATCH / 2, cy, r: 3, fill: it.color }));
    }
    const name = fitText(it.name, l.colWidth - SWATCH - 6, FONT);
    out.push(text(x0 + SWATCH + 6, cy + 4, name, { "data-legend": it.name }));
  });
  return out;
};

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Whether the segment (x0, y0)–(x1, y1) touches the box (Liang–Barsky clipping). */
export const segmentHitsBox = (
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  b: Box,
): boolean => {
  const dx = x1 - x0, dy = y1 - y0;
  let t0 = 0, t1 = 1;
  const edges: [number, number][] = [
    [-dx, x0 - b.x],
    [dx, b.x + b.width - x0],
    [-dy, y0 - b.y],
    [dy, b.y + b.height - y0],
  ];
  for (const [p, q] of edges) {
    if (p === 0) {
      if (q < 0) return false;
      continue;
    }
    const t = q / p;
    if (p < 0) t0 = Math.max(t0, t);
    else t1 = Math.min(t1, t);
    if (t0 > t1) return false;
  }
  return true;
};

/**
 * The first corner of `r` (top-right, top-left, bottom-right, bottom-left) where a `w` × `h` box
 * touches none of the polylines (pixel coordinates) nor the obstacle boxes; undefined if none.
 */
export const freeCorner = (
  r: PlotRect,
  w: number,
  h: number,
  lines: readonly (readonly (readonly [number, number])[])[],
  obstacles: readonly Box[] = [],
): Box | undefined => {
  const m = 8;
  if (w + 2 * m > r.right - r.left || h + 2 * m > r.bottom - r.top) return undefined;
  const corners: Box[] = [
    { x: r.right - m - w, y: r.top + m, width: w, height: h },
    { x: r.left + m, y: r.top + m, width: w, height: h },
    { x: r.right - m - w, y: r.bottom - m - h, width: w, height: h },
    { x: r.left + m, y: r.bottom - m - h, width: w, height: h },
  ];
  const grow = (b: Box): Box => ({
    x: b.x - 4,
    y: b.y - 4,
    width: b.width + 8,
    height: b.height + 8,
  });
  const overlaps = (a: Box, b: Box) =>
    a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
  return corners.find((c) => {
    const g = grow(c);
    return !obstacles.some((o) => overlaps(g, o)) && !boxHitsLines(g, lines);
  });
};

/** Whether any of the polylines (pixel coordinates; a lone point counts) touches the box. */
export const boxHitsLines = (
  b: Box,
  lines: readonly (readonly (readonly [number, number])[])[],
): boolean =>
  lines.some((pts) =>
    pts.some(([x, y], i) => {
      const [px, py] = i === 0 ? [x, y] : pts[i - 1]!;
      return segmentHitsBox(px, py, x, y, b);
    })
  );
