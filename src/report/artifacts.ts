/**
 * Artifact sections: sample grids side by side across sweep axes (one figure per stage and file,
 * one cell per arm, a row × column matrix when the sweep has two axes), and the study outputs of
 * every stage (report.md as HTML, tables.json as tables, SVG plots inlined, other images).
 *
 * Images are referenced by relative URL into the run directory (see imageUrl in runReport.ts).
 */
import { join } from "node:path";
import { formatValue } from "../core/sweep.ts";
import { escapeHtml, relativeUrl, sanitiseSvg } from "./escape.ts";
import { markdownToHtml } from "./markdown.ts";
import type { ArtifactFile, RunData, StageEntry } from "./runData.ts";
import { parseTables, renderTable } from "./tables.ts";
import * as fsys from "../platform/fs.ts";

/** How an image reaches the page: a URL (relative, or a data: URI in comparisons). */
export type ImageUrl = (run: RunData, file: ArtifactFile) => Promise<string>;

const IMAGE = /\.(png|jpe?g|webp|gif)$/i;
const stem = (name: string) => name.replace(/\.[^./]+$/, "");

/** A stage that belongs to exactly one arm: its images go into the side-by-side galleries. */
const perArm = (s: StageEntry) => s.arms.length === 1;

/** "evaluate:step 2[target=x0]" → "evaluate:step 2": the same place in every arm's graph. */
const placeOf = (label: string) => label.replace(/\[.*\]$/, "");

interface GalleryCell {
  readonly arm: string;
  readonly file: ArtifactFile;
}

/** Galleries: per (place, file name), the arms' images side by side. */
export const gallerySection = async (run: RunData, imageUrl: ImageUrl): Promise<string> => {
  const groups = new Map<string, GalleryCell[]>();
  for (const s of run.stages.filter(perArm)) {
    for (const f of run.artifacts.get(s.label) ?? []) {
      if (!IMAGE.test(f.name)) continue;
      const key = `${placeOf(s.label)} · ${f.name}`;
      const cells = groups.get(key) ?? [];
      groups.set(key, cells);
      cells.push({ arm: s.arms[0]!, file: f });
    }
  }
  if (groups.size === 0) return "";
  const arms = run.manifest.arms;
  const axes = [...new Set(arms.flatMap((a) => Object.keys(a.values)))];
  const out: string[] = [];
  for (const [title, cells] of groups) {
    const img = async (c: GalleryCell | undefined, caption: string) =>
      c === undefined
        ? `<div class="cell empty">${escapeHtml(caption)}: no image</div>`
        : `<figure class="cell"><img src="${await imageUrl(run, c.file)}" alt="${
          escapeHtml(`${title}, ${c.arm}`)
        }" loading="eager"><figcaption>${escapeHtml(caption)}</figcaption></figure>`;
    if (axes.length === 2 && cells.length > 1) {
      const [rowAxis, colAxis] = axes as [string, string];
      const valuesOf = (axis: string) => [
        ...new Set(arms.map((a) => formatValue(a.values[axis]))),
      ];
      const rowValues = valuesOf(rowAxis), colValues = valuesOf(colAxis);
      const byPair = new Map(
        cells.map((c) => {
          const arm = arms.find((a) => a.id === c.arm);
          return [
            `${formatValue(arm?.values[rowAxis])}\u0000${formatValue(arm?.values[colAxis])}`,
            c,
          ];
        }),
      );
      const head = `<tr><th>${escapeHtml(rowAxis)} \\ ${escapeHtml(colAxis)}</th>${
        colValues.map((v) => `<th>${escapeHtml(v)}</th>`).join("")
      }</tr>`;
      const body: string[] = [];
      for (const r of rowValues) {
        const tds: string[] = [];
        for (const c of colValues) {
          tds.push(`<td>${await img(byPair.get(`${r}\u0000${c}`), `${r} · ${c}`)}</td>`);
        }
        body.push(`<tr><th>${escapeHtml(r)}</th>${tds.join("")}</tr>`);
      }
      out.push(
        `<h3>${escapeHtml(title)}</h3><div class="scroll"><table class="grid">${head}${
          body.join("")
        }</table></div>`,
      );
    } else {
      const figs: string[] = [];
      for (const c of cells) figs.push(await img(c, c.arm));
      out.push(`<h3>${escapeHtml(title)}</h3><div class="gallery">${figs.join("")}</div>`);
    }
  }
  return [
    "<p>Each figure shows the same stage of every arm side by side (same seed and noise where the pipeline shares them).</p>",
    ...out,
  ].join("\n");
};

/** One stage's study outputs; "" when it has none. */
const stageOutputs = async (
  run: RunData,
  stage: StageEntry,
  imageUrl: ImageUrl,
): Promise<string> => {
  const files = run.artifacts.get(stage.label) ?? [];
  const names = new Set(files.map((f) => f.name));
  const parts: string[] = [];
  const read = (f: ArtifactFile) => fsys.readTextFile(join(run.dir, ...f.segments));
  for (const f of files.filter((f) => f.name.endsWith("report.md"))) {
    const base = relativeUrl(f.segments.slice(0, -1));
    parts.push(`<div class="markdown">${markdownToHtml(await read(f), base)}</div>`);
  }
  for (const f of files.filter((f) => f.name.endsWith("tables.json"))) {
    const parsed = parseTables(await read(f));
    parts.push(
      parsed.ok
        ? parsed.tables.map(renderTable).join("\n")
        : `<p class="error">${escapeHtml(f.name)} cannot be shown: ${
          escapeHtml(parsed.reason)
        }</p>`,
    );
  }
  const plots: string[] = [];
  for (const f of files) {
    const hasSvg = names.has(`${stem(f.name)}.svg`);
    if (
      f.name.endsWith(".svg") &&
      !(perArm(stage) &&
        [...names].some((n) => n !== f.name && stem(n) === stem(f.name) && IMAGE.test(n)))
    ) {
      plots.push(
        `<figure class="plot" data-file="${escapeHtml(f.name)}">${
          sanitiseSvg(await read(f))
        }<figcaption>${escapeHtml(f.name)}</figcaption></figure>`,
      );
    } else if (IMAGE.test(f.name) && !hasSvg && !perArm(stage)) {
      plots.push(
        `<figure class="plot"><img src="${await imageUrl(run, f)}" alt="${
          escapeHtml(f.name)
        }"><figcaption>${escapeHtml(f.name)}</figcaption></figure>`,
      );
    }
  }
  if (plots.length) parts.push(`<div class="plots">${plots.join("")}</div>`);
  if (parts.length === 0) return "";
  return `<section class="study" id="${escapeHtml(`study-${stage.key.slice(0, 12)}`)}"><h3>${
    escapeHtml(stage.label)
  }</h3>${parts.join("\n")}</section>`;
};

/** Every stage's study outputs, in plan order (aggregate report stages come last). */
export const studySection = async (run: RunData, imageUrl: ImageUrl): Promise<string> => {
  const parts: string[] = [];
  for (const s of run.stages) {
    const html = await stageOutputs(run, s, imageUrl);
    if (html) parts.push(html);
  }
  return parts.join("\n");
};
