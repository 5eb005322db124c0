/**
 * Small multiples: several chart SVGs (from lineChart, barChart, heatmap) laid out in a grid as
 * one SVG, each chart nested as its own `<svg>` viewport. Cells are as wide as the widest chart
 * in the set and as tall as the tallest; an optional overall title goes on top.
 */
import { num, svgDocument, text, wrapText } from "./svg.ts";

export interface FacetOptions {
  readonly title?: string;
  /** Space between charts in px (default 8). */
  readonly gap?: number;
}

/** Width and height of a chart SVG, read from its root element. */
export const svgSize = (svg: string): { width: number; height: number } => {
  const root = /^\s*<svg\b[^>]*>/.exec(svg)?.[0];
  const w = root && /\swidth="([\d.]+)"/.exec(root)?.[1];
  const h = root && /\sheight="([\d.]+)"/.exec(root)?.[1];
  if (!w || !h) {
    throw new RangeError(
      `cannot place a chart in a facet: it does not start with <svg width=… height=…>: ` +
        `"${svg.slice(0, 60)}…"`,
    );
  }
  return { width: Number(w), height: Number(h) };
};

/** The charts in a grid of `columns` columns, filled row by row. */
export const facet = (
  charts: readonly string[],
  columns: number,
  o: FacetOptions = {},
): string => {
  if (!Number.isInteger(columns) || columns < 1) {
    throw new RangeError(`cannot lay out a facet with ${columns} columns: need an integer ≥ 1`);
  }
  const gap = o.gap ?? 8;
  const sizes = charts.map(svgSize);
  const cellW = Math.max(1, ...sizes.map((s) => s.width));
  const cellH = Math.max(1, ...sizes.map((s) => s.height));
  const cols = Math.max(1, Math.min(columns, charts.length));
  const rows = Math.ceil(charts.length / cols);
  const W = cols * cellW + (cols - 1) * gap;
  const titleLines = o.title ? wrapText(o.title, W - 24, 17, 2, true) : [];
  const top = titleLines.length ? 12 + titleLines.length * 21 : 0;
  const body: string[] = titleLines.map((line, i) =>
    text(W / 2, 28 + 21 * i, line, {
      "text-anchor": "middle",
      "font-size": 17,
      "font-weight": "bold",
    })
  );
  charts.forEach((svg, i) => {
    const x = (i % cols) * (cellW + gap), y = top + Math.floor(i / cols) * (cellH + gap);
    body.push(
      svg.trim().replace(/^<svg\b/, `<svg x="${num(x)}" y="${num(y)}"`),
    );
  });
  return svgDocument(W, top + rows * cellH + Math.max(0, rows - 1) * gap, body);
};
