/**
 * `diffrun compare <run>… --html <file>`: several runs in one page: their arms' params and final
 * metrics side by side (columns whose values differ marked), every metric curve with one series
 * per (run, arm), the sample grids of every run side by side, and each run's provenance.
 *
 * A comparison lives outside any one run directory, so its images are embedded as data: URIs:
 * the file can be mailed or moved on its own, at the price of its size.
 */
import { Buffer } from "node:buffer";
import { basename, join } from "node:path";
import { escapeHtml } from "./escape.ts";
import { curveCharts } from "./curves.ts";
import { gallerySection, type ImageUrl } from "./artifacts.ts";
import { flattenParams } from "./overview.ts";
import { page } from "./page.ts";
import { readRun, type RunData } from "./runData.ts";
import { renderTable } from "./tables.ts";
import { canonicalJson } from "../core/canonicalJson.ts";
import { aggregateSeeds, seedAggregateTable } from "./seedAggregate.ts";
import * as fsys from "../platform/fs.ts";

const MIME: Readonly<Record<string, string>> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  webp: "image/webp",
  gif: "image/gif",
};

/** Images as data: URIs, so the comparison needs no other file. */
export const embeddedImage: ImageUrl = async (run, file) => {
  const ext = file.name.split(".").at(-1)!.toLowerCase();
  const bytes = await fsys.readFile(join(run.dir, ...file.segments));
  return `data:${MIME[ext] ?? "application/octet-stream"};base64,${
    Buffer.from(bytes).toString("base64")
  }`;
};

/** The arms table of a summary.md: arm id → column → cell text. */
export const summaryRows = (summary: string | null): Map<string, Record<string, string>> => {
  const rows = new Map<string, Record<string, string>>();
  const table = summary?.split("## Arms")[1]?.split("\n## ")[0] ?? "";
  const lines = table.split("\n").filter((l) => l.startsWith("|"));
  const cells = (l: string) => l.split("|").slice(1, -1).map((c) => c.trim());
  const header = cells(lines[0] ?? "");
  for (const line of lines.slice(2)) {
    const c = cells(line);
    rows.set(c[0] ?? "", Object.fromEntries(header.map((h, i) => [h, c[i] ?? ""])));
  }
  return rows;
};

const runName = (run: RunData) => `${run.manifest.experiment.name}/${run.manifest.runId}`;

const armsTable = (runs: readonly RunData[]): string => {
  const rows = runs.flatMap((run) => {
    const metrics = summaryRows(run.summary);
    return run.manifest.arms.map((arm) => {
      const params = Object.fromEntries(
        Object.entries(flattenParams(arm.params)).map(([k, x]) => [
          k,
          typeof x === "string" ? x : canonicalJson(x ?? null),
        ]),
      );
      const m = { ...metrics.get(arm.id) };
      delete m.arm;
      return {
        run: runName(run),
        arm: arm.id,
        cells: { ...params, ...m } as Record<string, string>,
      };
    });
  });
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r.cells)))];
  const differs = columns.filter((c) => new Set(rows.map((r) => r.cells[c] ?? "")).size > 1);
  const same = columns.filter((c) => !differs.includes(c));
  return [
    renderTable({
      id: "compare",
      title: "Arms of every run: the columns that differ",
      columns: ["run", "arm", ...differs],
      rows: rows.map((r) => [r.run, r.arm, ...differs.map((c) => r.cells[c] ?? null)]),
      note: `${differs.length} column(s) differ; ${same.length} are equal in every row (below).`,
    }),
    `<details><summary>Equal in every row</summary>${
      renderTable({
        title: "Params and metrics equal in every row",
        columns: ["column", "value"],
        rows: same.map((c) => [c, rows[0]?.cells[c] ?? null]),
      })
    }</details>`,
  ].join("\n");
};

const provenance = (runs: readonly RunData[]) =>
  renderTable({
    id: "runs",
    title: "Runs",
    columns: ["run", "status", "profile", "overrides", "backend", "git commit", "started"],
    rows: runs.map((run) => {
      const m = run.manifest as typeof run.manifest & {
        git?: { commit?: string | null; dirty?: boolean | null };
      };
      return [
        runName(run),
        m.status,
        m.command.profile,
        m.command.overrides.join(" ") || null,
        m.command.backend,
        `${m.git?.commit?.slice(0, 12) ?? "?"}${m.git?.dirty ? " (dirty)" : ""}`,
        m.startedAt,
      ];
    }),
  });

/** The comparison page of several run directories. */
export const renderCompareReport = async (dirs: readonly string[]): Promise<string> => {
  const runs: RunData[] = [];
  for (const d of dirs) runs.push(await readRun(d));
  const charts = curveCharts(
    runs.map((run) => ({
      run,
      prefix: runs.length > 1 ? `${run.manifest.runId.slice(-8)}: ` : "",
    })),
  );
  const seeded = runs.flatMap((run) => {
    const agg = aggregateSeeds(run.manifest.arms, summaryRows(run.summary));
    return agg ? [{ run: runName(run), agg }] : [];
  });
  const galleries: string[] = [];
  for (const run of runs) {
    const g = await gallerySection(run, embeddedImage);
    if (g) galleries.push(`<h3>${escapeHtml(runName(run))}</h3>${g}`);
  }
  return page({
    title: `compare ${runs.map((r) => r.manifest.runId).join(" ")}`,
    heading: `Comparison of ${runs.length} run(s)`,
    subtitle: runs.map(runName).join(" · "),
    sections: [
      { id: "runs", title: "Runs", html: provenance(runs) },
      { id: "arms", title: "Params and metrics", html: armsTable(runs) },
      ...(seeded.length === 0
        ? []
        : [{ id: "seeds", title: "Across seeds", html: seedAggregateTable(seeded) }]),
      {
        id: "curves",
        title: "Metric curves",
        html: charts.length === 0
          ? "<p>No metrics were logged.</p>"
          : `<p>Series are named by the last 8 characters of their run id.</p><div class="charts">${
            charts.map((c) =>
              `<figure class="chart" data-metric="${escapeHtml(c.metric)}">${c.svg}</figure>`
            ).join("")
          }</div>`,
      },
      { id: "samples", title: "Samples", html: galleries.join("\n") },
    ],
  });
};

/** Writes the comparison to `path` and returns it. */
export const writeCompareReport = async (dirs: readonly string[], path: string) => {
  await fsys.writeTextFile(path, await renderCompareReport(dirs));
  return { path, name: basename(path) };
};
