/**
 * Heat maps of a matrix as self-contained SVG strings: row labels on the left, column labels
 * under the grid (tilted when long), a colour bar with ticks and a label, the value printed in
 * each cell when the cells are big enough, and a hatched grey "n/a" cell for missing values
 * (null, NaN; ≤ 0 on a log colour scale), e.g. adapter pairs that cannot be combined.
 * Every cell has a `<title>` tooltip "row × column: value".
 */
import { formatTick, makeScale, type Scale, type ScaleKind } from "./scale.ts";
import { colormap, type ColormapName, textColorOn } from "./color.ts";
import {
  el,
  escapeXml,
  fitText,
  hashId,
  num,
  svgDocument,
  text,
  textWidth,
  titleBlock,
  tooltip,
} from "./svg.ts";

export interface HeatmapOptions {
  readonly title: string;
  readonly subtitle?: string;
  /** Label under the column labels, and left of the row labels. */
  readonly xLabel?: string;
  readonly yLabel?: string;
  readonly rowLabels: readonly string[];
  readonly columnLabels: readonly string[];
  /** values[row][column]; null or NaN marks a missing cell. */
  readonly values: readonly (readonly (number | null)[])[];
  /** What the colour means, with units (the colour bar's label). */
  readonly colorLabel?: string;
  readonly colorScale?: ScaleKind;
  /** "viridis" (default) or "rdbu" for signed data around `center`. */
  readonly colormap?: ColormapName;
  /** Flip the map (e.g. so that "better" is always the bright end). */
  readonly reverse?: boolean;
  /** Colour domain; values outside get the end colours. Default: the data's range. */
  readonly domain?: readonly [number, number];
  /** Diverging maps: the value at the map's middle (default 0); the domain is made symmetric. */
  readonly center?: number;
  /** Print values in the cells; default: when they fit. */
  readonly showValues?: boolean;
  /** Significant digits of printed values (default 3). */
  readonly significant?: number;
  /** Text of a missing cell (default "n/a"). */
  readonly missingLabel?: string;
  /** Size of the whole SVG in px; default: from the cell size. */
  readonly width?: number;
  readonly height?: number;
  /** Cell size in px when width/height are not given (default: 560 / columns, within 16…72). */
  readonly cellSize?: number;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const TILT = Math.PI / 4;

export const heatmap = (o: HeatmapOptions): string => {
  const nRow = o.rowLabels.length, nCol = o.columnLabels.length;
  if (o.values.length !== nRow || o.values.some((row) => row.length !== nCol)) {
    throw new RangeError(
      `cannot draw the heat map "${o.title}": values must be ${nRow} rows of ${nCol} columns, got ` +
        `${o.values.length} rows of [${o.values.map((r) => r.length).join(", ")}]`,
    );
  }
  const kind = o.colorScale ?? "linear";
  const map = o.colormap ?? "viridis";
  const sig = o.significant ?? 3;
  const missing = o.missingLabel ?? "n/a";
  const ok = (v: number | null): v is number =>
    v !== null && Number.isFinite(v) && (kind === "linear" || v > 0);
  const finite = o.values.flat().filter(ok);
  let domain = o.domain;
  if (!domain && map === "rdbu" && kind === "linear" && finite.length) {
    const c = o.center ?? 0;
    const m = Math.max(...finite.map((v) => Math.abs(v - c))) || 1;
    domain = [c - m, c + m];
  }
  const colour = (range: [number, number]): Scale =>
    makeScale({
      kind,
      values: finite,
      range,
      pad: 0,
      targetTicks: 5,
      ...(domain ? { domain } : {}),
    });

  // horizontal layout: [y label][row labels][grid][gap][bar][bar ticks][bar label]
  const rowLabels = o.rowLabels.map((l) => fitText(l, 180, 12));
  const left = 12 + (o.yLabel ? 22 : 0) + Math.max(0, ...rowLabels.map((l) => textWidth(l, 12))) +
    8;
  const provisional = colour([0, 1]);
  const barTickW = Math.max(
    0,
    ...provisional.ticks.map((t) => textWidth(provisional.format(t), 11)),
  );
  const rightW = 18 + 14 + 6 + barTickW + (o.colorLabel ? 26 : 0) + 10;
  const cellW = o.width !== undefined
    ? Math.max(4, (o.width - left - rightW) / Math.max(1, nCol))
    : o.cellSize ?? clamp(Math.round(560 / Math.max(1, nCol)), 16, 72);
  const W = o.width ?? Math.max(360, left + nCol * cellW + rightW);

  const body: string[] = [];
  const top = titleBlock(W, o.title, o.subtitle, body) + 2;
  const colLabels = o.columnLabels.map((l) => fitText(l, 150, 12));
  const tilt = colLabels.some((l) => textWidth(l, 12) > cellW - 4);
  const colLabelH = tilt
    ? Math.max(0, ...colLabels.map((l) => textWidth(l, 12))) * Math.sin(TILT) + 20
    : 22;
  const bottomH = colLabelH + (o.xLabel ? 22 : 0) + 8;
  const cellH = o.height !== undefined
    ? Math.max(4, (o.height - top - bottomH) / Math.max(1, nRow))
    : o.cellSize ?? clamp(Math.round(420 / Math.max(1, nRow)), 16, 44);
  const H = o.height ?? top + nRow * cellH + bottomH;
  const gx = left + (W - rightW - left - nCol * cellW) / 2, gy = top;
  const gw = nCol * cellW, gh = nRow * cellH;

  const C = colour([gy + gh, gy]);
  const t = (v: number) => clamp((C.map(v) - (gy + gh)) / (gy - (gy + gh)), 0, 1);
  const fill = (v: number) => colormap(map, t(v), o.reverse ?? false);
  const label = (v: number) => formatTick(v, undefined, sig);
  const longest = Math.max(textWidth(missing, 11), ...finite.map((v) => textWidth(label(v), 11)));
  const show = o.showValues ?? (cellW >= longest + 6 && cellH >= 15);

  const hatch = "diffrun-na-hatch"; // the same pattern in every chart, so a shared id is harmless
  body.push(el(
    "defs",
    {},
    el(
      "pattern",
      {
        id: hatch,
        width: 6,
        height: 6,
        patternUnits: "userSpaceOnUse",
        patternTransform: "rotate(45)",
      },
      el("rect", { width: 6, height: 6, fill: "#e6e6e6" }) +
        el("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: "#b3b3b3", "stroke-width": 2 }),
    ),
  ));
  o.values.forEach((row, i) => {
    row.forEach((v, j) => {
      const x = gx + j * cellW, y = gy + i * cellH;
      const where = `${o.rowLabels[i]} × ${o.columnLabels[j]}`;
      const cell = {
        x,
        y,
        width: cellW,
        height: cellH,
        stroke: "white",
        "stroke-width": Math.min(cellW, cellH) < 24 ? 0.5 : 1,
        "data-row": i,
        "data-col": j,
      };
      if (!ok(v)) {
        const why = v !== null && Number.isFinite(v)
          ? ` (${v} cannot go on a log colour scale)`
          : "";
        body.push(
          el(
            "rect",
            { ...cell, fill: `url(#${hatch})`, "data-missing": "true" },
            tooltip(`${where}: ${missing}${why}`),
          ),
        );
        if (show) {
          body.push(
            text(x + cellW / 2, y + cellH / 2 + 4, missing, {
              "text-anchor": "middle",
              "font-size": 11,
              fill: "#555",
            }),
          );
        }
        return;
      }
      const c = fill(v);
      body.push(
        el("rect", { ...cell, fill: c }, tooltip(`${where}: ${String(Number(v.toPrecision(6)))}`)),
      );
      if (show) {
        body.push(
          text(x + cellW / 2, y + cellH / 2 + 4, label(v), {
            "text-anchor": "middle",
            "font-size": 11,
            fill: textColorOn(c),
          }),
        );
      }
    });
  });
  body.push(el("rect", { x: gx, y: gy, width: gw, height: gh, fill: "none", stroke: "#444" }));

  // row labels, column labels, axis labels
  rowLabels.forEach((l, i) => {
    body.push(text(gx - 6, gy + (i + 0.5) * cellH + 4, l, { "text-anchor": "end" }));
  });
  colLabels.forEach((l, j) => {
    const cx = gx + (j + 0.5) * cellW, y = gy + gh + 16;
    body.push(
      tilt
        ? text(cx + 4, y - 4, l, {
          "text-anchor": "end",
          transform: `rotate(-45 ${num(cx + 4)} ${num(y - 4)})`,
        })
        : text(cx, y, l, { "text-anchor": "middle" }),
    );
  });
  if (o.xLabel) {
    body.push(
      text(gx + gw / 2, H - 10, fitText(o.xLabel, W - 24, 13), {
        "text-anchor": "middle",
        "font-size": 13,
      }),
    );
  }
  if (o.yLabel) {
    const cy = gy + gh / 2;
    body.push(el(
      "text",
      {
        transform: `translate(22 ${num(cy)}) rotate(-90)`,
        "text-anchor": "middle",
        "font-size": 13,
      },
      escapeXml(fitText(o.yLabel, Math.max(gh, 60), 13)),
    ));
  }
  body.push(
    ...colourBar(o, C, gx + gw + 18, gy, gh, hatch, finite.length < o.values.flat().length),
  );
  return svgDocument(W, H, body);
};

/** The colour bar right of the grid: gradient, ticks, label, and an "n/a" swatch if needed. */
const colourBar = (
  o: HeatmapOptions,
  C: Scale,
  x: number,
  y: number,
  h: number,
  hatch: string,
  anyMissing: boolean,
): string[] => {
  const out: string[] = [];
  // named by its content (the map), so charts inlined into one page never share one wrongly
  const grad = hashId("grad", `${o.colormap ?? "viridis"}|${o.reverse ?? false}`);
  const stops = Array.from(
    { length: 11 },
    (_, k) =>
      el("stop", {
        offset: k / 10,
        "stop-color": colormap(o.colormap ?? "viridis", k / 10, o.reverse ?? false),
      }),
  );
  out.push(el("linearGradient", { id: grad, x1: 0, y1: 1, x2: 0, y2: 0 }, stops.join("")));
  out.push(el("rect", { x, y, width: 14, height: h, fill: `url(#${grad})`, stroke: "#444" }));
  let last = -Infinity;
  for (const tk of [...C.ticks].reverse()) {
    const p = C.map(tk);
    if (p < y - 0.5 || p > y + h + 0.5 || p - last < 14) continue;
    last = p;
    out.push(el("line", { x1: x + 14, y1: p, x2: x + 18, y2: p, stroke: "#444" }));
    out.push(text(x + 21, p + 4, C.format(tk), { "font-size": 11 }));
  }
  if (o.colorLabel) {
    const tickW = Math.max(0, ...C.ticks.map((tk) => textWidth(C.format(tk), 11)));
    const lx = x + 21 + tickW + 16, cy = y + h / 2;
    out.push(el(
      "text",
      {
        transform: `translate(${num(lx)} ${num(cy)}) rotate(-90)`,
        "text-anchor": "middle",
        "font-size": 12,
      },
      escapeXml(
        fitText(`${o.colorLabel}${C.kind === "log" ? " (log scale)" : ""}`, Math.max(h, 80), 12),
      ),
    ));
  }
  if (anyMissing) {
    out.push(
      el("rect", {
        x,
        y: y + h + 8,
        width: 14,
        height: 12,
        fill: `url(#${hatch})`,
        stroke: "#999",
      }),
    );
    out.push(text(x + 19, y + h + 18, o.missingLabel ?? "n/a", { "font-size": 11, fill: "#555" }));
  }
  return out;
};
