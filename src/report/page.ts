/**
 * The HTML shell of every report: inline CSS, a table of contents, the sections, and (only when
 * the page is served over http by `diffrun serve`) a few lines of script that poll the run's
 * live.json on the same origin and reload when a running run has new metrics or stages. Opened
 * from disk (file://) the script does nothing, so the page makes no requests at all.
 */
import { escapeHtml, jsonForScript } from "./escape.ts";

export interface PageSection {
  readonly id: string;
  readonly title: string;
  readonly html: string;
}

/** What a live page compares with the server's live.json. */
export interface LiveState {
  readonly status: string;
  readonly metricsBytes: number;
  readonly stagesDone: number;
}

const CSS = `
:root { color-scheme: light; }
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 0 auto; max-width: 1400px; padding: 0 24px 48px; color: #222; background: #fff; font-size: 14px; line-height: 1.45; }
header { border-bottom: 1px solid #ddd; padding: 16px 0 8px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #eee; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
nav a { margin-right: 12px; }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; color: #fff; background: #777; }
.status.succeeded { background: #009E73; } .status.failed { background: #D55E00; }
.status.running { background: #0072B2; } .status.interrupted { background: #E69F00; }
table { border-collapse: collapse; margin: 6px 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
thead th { background: #f4f4f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: bold; padding: 4px 0; }
tr.differs td { background: #fff6d5; }
tr.axis td { background: #eef5ff; font-weight: bold; }
table.kv th { background: #f8f8f8; font-weight: normal; width: 180px; }
.scroll { overflow-x: auto; }
.charts, .plots, .gallery { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
figure { margin: 0; }
figure.cell img { image-rendering: pixelated; min-width: 160px; max-width: 320px; border: 1px solid #ddd; }
figure.cell figcaption, figure.plot figcaption { font-size: 12px; color: #555; }
table.grid td, table.grid th { text-align: center; }
.cell.empty { color: #999; padding: 24px; }
.swatch { border: 1px solid; border-radius: 3px; padding: 0 6px; font-size: 12px; }
.error { color: #D55E00; }
.markdown table { font-size: 13px; }
pre { background: #f6f6f6; padding: 8px; overflow-x: auto; }
svg { max-width: 100%; height: auto; }
svg.stage-graph { max-width: none; }
figure.plot svg { width: 600px; }
figure.chart svg { width: 560px; }
`;

const LIVE_SCRIPT = `
(() => {
  const state = JSON.parse(document.getElementById("diffrun-live").textContent);
  if (!location.protocol.startsWith("http") || state.status !== "running") return;
  const poll = async () => {
    try {
      const r = await fetch("live.json", { cache: "no-store" });
      if (r.ok) {
        const now = await r.json();
        if (now.status !== state.status || now.metricsBytes !== state.metricsBytes || now.stagesDone !== state.stagesDone) {
          location.reload();
          return;
        }
      }
    } catch (e) { /* the server stopped: keep the page as it is */ return; }
    setTimeout(poll, 2000);
  };
  setTimeout(poll, 2000);
})();
`;

export const page = (o: {
  readonly title: string;
  readonly heading: string;
  readonly subtitle: string;
  readonly status?: string;
  readonly sections: readonly PageSection[];
  readonly live?: LiveState;
}): string => {
  const shown = o.sections.filter((s) => s.html.trim() !== "");
  return [
    "<!DOCTYPE html>",
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // no network: images and links stay inside the run directory (or are data: URIs)
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'">`,
    // an empty icon, so the browser does not ask for /favicon.ico
    '<link rel="icon" href="data:,">',
    `<title>${escapeHtml(o.title)}</title>`,
    `<style>${CSS}</style>`,
    "</head>",
    `<body data-status="${escapeHtml(o.status ?? "")}">`,
    "<header>",
    `<h1>${escapeHtml(o.heading)}${
      o.status ? ` <span class="status ${escapeHtml(o.status)}">${escapeHtml(o.status)}</span>` : ""
    }</h1>`,
    `<div class="subtitle">${escapeHtml(o.subtitle)}</div>`,
    `<nav>${
      shown.map((s) => `<a href="#${escapeHtml(s.id)}">${escapeHtml(s.title)}</a>`).join("")
    }</nav>`,
    "</header>",
    ...shown.map((s) =>
      `<section id="${escapeHtml(s.id)}"><h2>${escapeHtml(s.title)}</h2>\n${s.html}\n</section>`
    ),
    o.live
      ? `<script type="application/json" id="diffrun-live">${
        jsonForScript(o.live)
      }</script><script>${LIVE_SCRIPT}</script>`
      : "",
    "</body></html>",
    "",
  ].join("\n");
};
