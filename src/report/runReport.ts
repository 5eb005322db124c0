/**
 * `diffrun report <run-dir>`: one self-contained report.html per run directory, also written at
 * the end of every run. Plots are inline SVG; images are relative URLs into the run directory's
 * artifacts/ (hard links into the store, so a copied directory carries them and the report
 * stays small); no network, no CDN.
 */
import { join } from "node:path";
import { escapeHtml, relativeUrl } from "./escape.ts";
import { curveCharts } from "./curves.ts";
import { gallerySection, type ImageUrl, studySection } from "./artifacts.ts";
import { markdownToHtml } from "./markdown.ts";
import { paramsSection, provenanceSection, stagesSection } from "./overview.ts";
import { type LiveState, page } from "./page.ts";
import { readRun, type RunData } from "./runData.ts";
import { aggregateSeeds, seedAggregateTable } from "./seedAggregate.ts";
import { summaryRows } from "./compareReport.ts";
import { halvingSection, readHalving } from "./halvingSection.ts";
import type { RunReportWriter } from "../core/runDir.ts";
import * as fsys from "../platform/fs.ts";

export const REPORT_FILE = "report.html";

/** Images of a run's own report: relative to the run directory. */
export const relativeImage: ImageUrl = (_run, file) => Promise.resolve(relativeUrl(file.segments));

/** The live state a served page polls for (see page.ts). */
export const liveState = (run: RunData): LiveState => ({
  status: run.manifest.status,
  metricsBytes: run.metricsBytes,
  stagesDone: run.stages.filter((s) => s.status !== null).length,
});

export const curvesSection = (run: RunData): string => {
  const charts = curveCharts([{ run }]);
  if (charts.length === 0) return "<p>No metrics were logged.</p>";
  return [
    `<p>${run.metrics.length} metrics rows${
      run.badMetricLines ? ` (${run.badMetricLines} unreadable lines skipped)` : ""
    }; one chart per stage and metric, one curve per arm. Hover a line or point for its values.</p>`,
    `<div class="charts">${
      charts.map((c) =>
        `<figure class="chart" data-metric="${escapeHtml(c.metric)}">${c.svg}</figure>`
      ).join("")
    }</div>`,
  ].join("\n");
};

/** The report of one run directory as an HTML string. */
export const renderRunReport = async (
  run: RunData,
  imageUrl: ImageUrl = relativeImage,
): Promise<string> => {
  const m = run.manifest;
  const seeds = aggregateSeeds(m.arms, summaryRows(run.summary));
  const profile = m.command.profile ? `, profile ${m.command.profile}` : "";
  const halving = await readHalving(run.dir);
  return page({
    title: `${m.experiment.name} ${m.runId}`,
    heading: `${m.experiment.name}${profile}`,
    subtitle:
      `run ${m.runId} · ${m.arms.length} arm(s) · backend ${m.command.backend} · started ${m.startedAt}${
        m.finishedAt ? ` · finished ${m.finishedAt}` : ""
      }`,
    status: m.status,
    live: liveState(run),
    sections: [
      {
        id: "summary",
        title: "Summary",
        html: run.summary === null ? "<p>No summary.md yet.</p>" : markdownToHtml(
          run.summary.replace(/^# .*\n/, "").split("\n## Stages")[0]!,
        ),
      },
      ...(halving === null ? [] : [{
        id: "halving",
        title: "Successive halving",
        html: halvingSection(halving),
      }]),
      ...(seeds === null ? [] : [{
        id: "seeds",
        title: "Across seeds",
        html: seedAggregateTable([{ run: null, agg: seeds }]),
      }]),
      { id: "curves", title: "Metric curves", html: curvesSection(run) },
      { id: "samples", title: "Samples across arms", html: await gallerySection(run, imageUrl) },
      { id: "study", title: "Study outputs", html: await studySection(run, imageUrl) },
      { id: "params", title: "Params per arm", html: paramsSection(run) },
      { id: "stages", title: "Stage graph", html: stagesSection(run) },
      { id: "provenance", title: "Environment and provenance", html: provenanceSection(run) },
    ],
  });
};

/** Writes report.html into the run directory (atomically) and returns its path. */
export const writeRunReport = async (dir: string): Promise<string> => {
  const html = await renderRunReport(await readRun(dir));
  const path = join(dir, REPORT_FILE);
  const tmp = join(dir, `.report.${crypto.randomUUID().slice(0, 8)}.tmp`);
  await fsys.writeTextFile(tmp, html);
  await fsys.rename(tmp, path);
  return path;
};

/** report.html as the run's report, for the runner's `report` hook. */
export const htmlRunReport: RunReportWriter = {
  name: REPORT_FILE,
  write: async (dir) => void await writeRunReport(dir),
};
