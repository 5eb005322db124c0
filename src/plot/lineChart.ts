/**
 * Line charts as self-contained SVG strings: title, axis labels, nice ticks (linear or log10),
 * a legend, one `<path>` per series (with `data-series`) and a `<title>` per series for hover.
 * Non-finite points (and non-positive ones on a log axis) are skipped, never drawn as NaN.
 */

export interface Series {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
  readonly dashed?: boolean;
  readonly color?: string;
}

export interface LineChartOptions {
  readonly title: string;
  /** A smaller second line under the title (e.g. which weighting ran). */
  readonly subtitle?: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly xScale?: "linear" | "log";
  readonly yScale?: "linear" | "log";
  readonly width?: number;
  readonly height?: number;
  readonly markers?: boolean;
  readonly hLines?: readonly { readonly y: number; readonly label: string }[];
}

/** Okabe–Ito, readable by colour-blind readers. */
export const PALETTE = [
  "#0072B2",
  "#D55E00",
  "#009E73",
  "#CC79A7",
  "#E69F00",
  "#56B4E9",
  "#F0E442",
  "#000000",
];

export const escapeXml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const fmt = (x: number) => (Math.round(x * 100) / 100).toString();

/** Compact tick label: 1k, 2.5e-3, 0.01, 120. */
export const tickLabel = (v: number): string => {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) {
    return v.toExponential(a.toExponential(0) === a.toExponential() ? 0 : 1).replace("e+", "e");
  }
  if (a >= 1000) return `${Number((v / 1000).toPrecision(3))}k`;
  return String(Number(v.toPrecision(3)));
};

/** 1-2-5 ticks covering [lo, hi]. */
export const linearTicks = (lo: number, hi: number, target = 6): number[] => {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  }
  return out;
};

/** Decade ticks covering [lo, hi] (both > 0). */
export const logTicks = (lo: number, hi: number): number[] => {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  const inside = out.filter((v) => v >= lo * 0.999 && v <= hi * 1.001);
  return inside.length >= 2 ? inside : out;
};

interface Axis {
  readonly map: (v: number) => number;
  readonly ticks: number[];
  readonly ok: (v: number) => boolean;
}

const axis = (values: number[], kind: "linear" | "log", from: number, to: number): Axis => {
  const ok = (v: number) => Number.isFinite(v) && (kind === "linear" || v > 0);
  const vs = values.filter(ok);
  let lo = vs.length ? Math.min(...vs) : kind === "log" ? 1 : 0;
  let hi = vs.length ? Math.max(...vs) : kind === "log" ? 10 : 1;
  if (kind === "log") {
    if (hi / lo < 10) {
      lo = lo / 1.5;
      hi = hi * 1.5;
    }
    const ticks = logTicks(lo, hi);
    const l0 = Math.log10(Math.min(lo, ticks[0]!)), l1 = Math.log10(Math.max(hi, ticks.at(-1)!));
    return { ok, ticks, map: (v) => from + ((Math.log10(v) - l0) / (l1 - l0 || 1)) * (to - from) };
  }
  if (hi === lo) {
    lo -= 1;
    hi += 1;
  }
  const pad = (hi - lo) * 0.04;
  lo -= pad;
  hi += pad;
  const ticks = linearTicks(lo, hi);
  return { ok, ticks, map: (v) => from + ((v - lo) / (hi - lo)) * (to - from) };
};

export const lineChart = (o: LineChartOptions): string => {
  const W = o.width ?? 720;
  // the legend sits under the plot, one row per series, so long names never cover data
  const legendH = 20 * o.series.length + 8;
  const H = (o.height ?? 420) + legendH;
  const top = o.subtitle ? 56 : 40;
  const left = 70, right = W - 24, bottom = H - legendH - 55;
  const xs = o.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = [
    ...o.series.flatMap((s) => s.points.map((p) => p[1])),
    ...(o.hLines ?? []).map((h) => h.y),
  ];
  const X = axis(xs, o.xScale ?? "linear", left, right);
  const Y = axis(ys, o.yScale ?? "linear", bottom, top);
  const fit = (text: string, size: number) => {
    const max = Math.floor((W - 20) / (size * 0.6));
    return text.length > max ? `${text.slice(0, max - 1)}…` : text;
  };
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${
      escapeXml(fit(o.title, 15))
    }</text>`,
  );
  if (o.subtitle) {
    parts.push(
      `<text x="${W / 2}" y="40" text-anchor="middle" font-size="11" fill="#444">${
        escapeXml(fit(o.subtitle, 11))
      }</text>`,
    );
  }
  for (const t of X.ticks) {
    const x = X.map(t);
    if (x < left - 1 || x > right + 1) continue;
    parts.push(`<line x1="${fmt(x)}" y1="${top}" x2="${fmt(x)}" y2="${bottom}" stroke="#e5e5e5"/>`);
    parts.push(
      `<text x="${fmt(x)}" y="${bottom + 16}" text-anchor="middle">${
        escapeXml(tickLabel(t))
      }</text>`,
    );
  }
  for (const t of Y.ticks) {
    const y = Y.map(t);
    if (y < top - 1 || y > bottom + 1) continue;
    parts.push(`<line x1="${left}" y1="${fmt(y)}" x2="${right}" y2="${fmt(y)}" stroke="#e5e5e5"/>`);
    parts.push(
      `<text x="${left - 6}" y="${fmt(y + 4)}" text-anchor="end">${escapeXml(tickLabel(t))}</text>`,
    );
  }
  parts.push(
    `<rect x="${left}" y="${top}" width="${right - left}" height="${
      bottom - top
    }" fill="none" stroke="#444"/>`,
  );
  parts.push(
    `<text x="${(left + right) / 2}" y="${bottom + 36}" text-anchor="middle">${
      escapeXml(o.xLabel)
    }${o.xScale === "log" ? " (log scale)" : ""}</text>`,
  );
  parts.push(
    `<text transform="translate(16 ${(top + bottom) / 2}) rotate(-90)" text-anchor="middle">${
      escapeXml(o.yLabel)
    }${o.yScale === "log" ? " (log scale)" : ""}</text>`,
  );
  for (const h of o.hLines ?? []) {
    if (!Y.ok(h.y)) continue;
    const y = fmt(Y.map(h.y));
    parts.push(
      `<line x1="${left}" y1="${y}" x2="${right}" y2="${y}" stroke="#777" stroke-dasharray="2 3"/>`,
    );
    parts.push(
      `<text x="${right - 4}" y="${Number(y) - 4}" text-anchor="end" fill="#555">${
        escapeXml(h.label)
      }</text>`,
    );
  }
  o.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const pts = s.points.filter(([x, y]) => X.ok(x) && Y.ok(y)).map(([x, y]) =>
      [X.map(x), Y.map(y)] as const
    );
    if (pts.length > 0) {
      const d = pts.map(([x, y], j) => `${j === 0 ? "M" : "L"}${fmt(x)} ${fmt(y)}`).join(" ");
      parts.push(
        `<path data-series="${
          escapeXml(s.name)
        }" d="${d}" fill="none" stroke="${color}" stroke-width="2"${
          s.dashed ? ' stroke-dasharray="6 4"' : ""
        }><title>${escapeXml(s.name)}</title></path>`,
      );
      if (o.markers) {
        for (const [x, y] of pts) {
          parts.push(`<circle cx="${fmt(x)}" cy="${fmt(y)}" r="3" fill="${color}"/>`);
        }
      }
    }
    const ly = bottom + 58 + i * 20;
    parts.push(
      `<line x1="${left}" y1="${ly}" x2="${
        left + 28
      }" y2="${ly}" stroke="${color}" stroke-width="2"${
        s.dashed ? ' stroke-dasharray="6 4"' : ""
      }/>`,
    );
    parts.push(`<text x="${left + 36}" y="${ly + 4}">${escapeXml(fit(s.name, 12))}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
};
