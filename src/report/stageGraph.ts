/**
 * The stage graph as an inline SVG: columns by depth (a stage sits one column right of its
 * deepest input), one box per stage coloured by its outcome (ran = cache miss, cached = hit,
 * failed, not run), edges as curves from input to consumer, and a hover title with the label,
 * status, time and key. Large graphs (more than MAX_DRAWN stages) are left to the stage table.
 */
import { escapeHtml } from "./escape.ts";
import type { StageEntry } from "./runData.ts";

export const MAX_DRAWN = 250;

const BOX_W = 210;
const BOX_H = 34;
const COL_GAP = 60;
const ROW_GAP = 8;
const PAD = 10;

export const STATUS_COLORS: Readonly<Record<string, string>> = {
  ran: "#0072B2",
  cached: "#009E73",
  failed: "#D55E00",
  skipped: "#999999",
  interrupted: "#E69F00",
};
const colorOf = (status: string | null) => STATUS_COLORS[status ?? ""] ?? "#bbbbbb";

/** Depth of every stage: 0 without inputs, else 1 + the deepest input's depth. */
export const stageDepths = (stages: readonly StageEntry[]): Map<string, number> => {
  const byKey = new Map(stages.map((s) => [s.key, s]));
  const depth = new Map<string, number>();
  const visit = (key: string, path: Set<string>): number => {
    const known = depth.get(key);
    if (known !== undefined) return known;
    const s = byKey.get(key);
    if (!s || path.has(key)) return 0; // unknown input, or a cycle in a corrupt manifest
    path.add(key);
    const ins = Object.values(s.inputs).filter((k) => byKey.has(k));
    const d = ins.length === 0 ? 0 : 1 + Math.max(...ins.map((k) => visit(k, path)));
    path.delete(key);
    depth.set(key, d);
    return d;
  };
  for (const s of stages) visit(s.key, new Set());
  return depth;
};

const short = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

const seconds = (ms: number | null) => (ms === null ? "" : `${(ms / 1000).toFixed(2)} s`);

/** The graph's SVG markup, or null when there are too many stages to draw legibly. */
export const stageGraphSvg = (stages: readonly StageEntry[]): string | null => {
  if (stages.length === 0 || stages.length > MAX_DRAWN) return null;
  const depth = stageDepths(stages);
  const columns: StageEntry[][] = [];
  for (const s of stages) (columns[depth.get(s.key) ?? 0] ??= []).push(s);
  const pos = new Map<string, { x: number; y: number }>();
  columns.forEach((col, c) =>
    col.forEach((s, r) =>
      pos.set(s.key, { x: PAD + c * (BOX_W + COL_GAP), y: PAD + r * (BOX_H + ROW_GAP) })
    )
  );
  const rows = Math.max(...columns.map((c) => c?.length ?? 0));
  const width = PAD * 2 + columns.length * BOX_W + (columns.length - 1) * COL_GAP;
  const height = PAD * 2 + rows * BOX_H + (rows - 1) * ROW_GAP;
  const edges: string[] = [];
  for (const s of stages) {
    const to = pos.get(s.key)!;
    for (const k of Object.values(s.inputs)) {
      const from = pos.get(k);
      if (!from) continue;
      const x1 = from.x + BOX_W, y1 = from.y + BOX_H / 2, x2 = to.x, y2 = to.y + BOX_H / 2;
      const mid = (x1 + x2) / 2;
      edges.push(
        `<path class="edge" d="M${x1} ${y1}C${mid} ${y1} ${mid} ${y2} ${x2} ${y2}" fill="none" stroke="#888" stroke-opacity="0.45"/>`,
      );
    }
  }
  const boxes = stages.map((s) => {
    const p = pos.get(s.key)!;
    const title = `${s.label}\n${s.status ?? "not run"}${
      s.durationMs === null ? "" : ` in ${seconds(s.durationMs)}`
    }${s.resumed ? " (resumed)" : ""}\nkey ${s.key.slice(0, 12)}${s.error ? `\n${s.error}` : ""}`;
    return [
      `<g class="stage" data-status="${escapeHtml(s.status ?? "none")}">`,
      `<title>${escapeHtml(title)}</title>`,
      `<rect x="${p.x}" y="${p.y}" width="${BOX_W}" height="${BOX_H}" rx="4" fill="${
        colorOf(s.status)
      }" fill-opacity="0.15" stroke="${colorOf(s.status)}"/>`,
      `<text x="${p.x + 6}" y="${p.y + 14}" font-size="11">${
        escapeHtml(short(s.label.replace(/\[.*\]$/, ""), 32))
      }</text>`,
      `<text x="${p.x + 6}" y="${p.y + 28}" font-size="10" fill="#555">${
        escapeHtml(short(/\[(.*)\]$/.exec(s.label)?.[1] ?? "", 26))
      }</text>`,
      `<text x="${p.x + BOX_W - 6}" y="${p.y + 28}" font-size="10" text-anchor="end" fill="#555">${
        seconds(s.durationMs)
      }</text>`,
      "</g>",
    ].join("");
  });
  return `<svg class="stage-graph" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif">${
    edges.join("")
  }${boxes.join("")}</svg>`;
};
