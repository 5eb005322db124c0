/**
 * Report sections read straight from the manifest: params per arm (differing rows marked), the
 * stage graph and stage table (cache hit or miss, time), and environment and provenance.
 */
import { softwareGpuNote, softwareGpuOf } from "../core/softwareGpu.ts";
import { canonicalJson } from "../core/canonicalJson.ts";
import { formatValue } from "../core/sweep.ts";
import { escapeHtml, relativeUrl } from "./escape.ts";
import type { RunData } from "./runData.ts";
import { stageGraphSvg, STATUS_COLORS } from "./stageGraph.ts";
import { renderTable } from "./tables.ts";

/** Nested params as dotted keys; arrays stay whole (shown as JSON). */
export const flattenParams = (value: unknown, prefix = ""): Record<string, unknown> => {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return prefix ? { [prefix]: value } : {};
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(value as Record<string, unknown>)) {
    Object.assign(out, flattenParams(x, prefix ? `${prefix}.${k}` : k));
  }
  return out;
};

const show = (x: unknown) => (x === undefined ? "" : typeof x === "string" ? x : canonicalJson(x));

/** One row per param, one column per arm; rows whose values differ between arms are marked. */
export const paramsSection = (run: RunData): string => {
  const arms = run.manifest.arms;
  if (arms.length === 0) return "<p>No arms.</p>";
  const flat = arms.map((a) => flattenParams(a.params));
  const keys = [...new Set(flat.flatMap((f) => Object.keys(f)))].sort();
  const axes = [...new Set(arms.flatMap((a) => Object.keys(a.values)))];
  const head = `<tr><th>param</th>${arms.map((a) => `<th>${escapeHtml(a.id)}</th>`).join("")}</tr>`;
  const axisRows = axes.map((ax) =>
    `<tr class="axis"><td>sweep: ${escapeHtml(ax)}</td>${
      arms.map((a) => `<td>${escapeHtml(formatValue(a.values[ax]))}</td>`).join("")
    }</tr>`
  );
  const rows = keys.map((k) => {
    const cells = flat.map((f) => show(f[k]));
    const differs = new Set(cells).size > 1;
    return `<tr${differs ? ' class="differs"' : ""}><td>${escapeHtml(k)}</td>${
      cells.map((c) => `<td>${escapeHtml(c)}</td>`).join("")
    }</tr>`;
  });
  return [
    `<p>${arms.length} arm(s)${
      axes.length ? `, swept over ${axes.map(escapeHtml).join(", ")}` : ""
    }; rows whose value differs between arms are highlighted.</p>`,
    `<div class="scroll"><table class="params"><thead>${head}</thead><tbody>`,
    ...axisRows,
    ...rows,
    "</tbody></table></div>",
  ].join("\n");
};

const seconds = (ms: number | null) => (ms === null ? null : Number((ms / 1000).toFixed(2)));

export const stagesSection = (run: RunData): string => {
  const svg = stageGraphSvg(run.stages);
  const counts = new Map<string, number>();
  for (const s of run.stages) {
    counts.set(s.status ?? "not run", (counts.get(s.status ?? "not run") ?? 0) + 1);
  }
  const legend = Object.entries(STATUS_COLORS).map(([status, color]) =>
    `<span class="swatch" style="border-color:${color};background:${color}26">${
      status === "ran" ? "ran (cache miss)" : status === "cached" ? "cached (hit)" : status
    }</span>`
  ).join(" ");
  const table = renderTable({
    id: "stages",
    title: "Stages in plan order",
    columns: ["stage", "status", "seconds", "arms", "key"],
    rows: run.stages.map((s) => [
      s.label,
      `${s.status ?? "not run"}${s.resumed ? " (resumed)" : ""}${s.error ? `: ${s.error}` : ""}`,
      seconds(s.durationMs),
      s.arms.length,
      s.key.slice(0, 12),
    ]),
  });
  return [
    `<p>${run.stages.length} stage(s): ${
      [...counts].map(([k, n]) => `${n} ${escapeHtml(k)}`).join(", ")
    }. ${legend}</p>`,
    svg === null
      ? `<p>The graph has ${run.stages.length} stages, too many to draw; see the table.</p>`
      : `<div class="scroll">${svg}</div>`,
    `<details><summary>Stage table</summary>${table}</details>`,
  ].join("\n");
};

const kv = (rows: readonly (readonly [string, string])[]) =>
  `<table class="kv"><tbody>${
    rows.map(([k, x]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(x)}</td></tr>`).join("")
  }</tbody></table>`;

/** Command, code version, runtime, libraries, engine and host, as the manifest recorded them. */
export const provenanceSection = (run: RunData): string => {
  const m = run.manifest as Record<string, unknown> & typeof run.manifest;
  const c = m.command;
  const git = (m.git ?? {}) as {
    commit?: string | null;
    dirty?: boolean | null;
    diffFile?: string | null;
  };
  const obj = (x: unknown) =>
    x !== null && typeof x === "object" ? Object.entries(x as Record<string, unknown>) : [];
  const rows: [string, string][] = [
    ["command", `diffrun ${c.argv.join(" ")}`],
    ["experiment file", c.experimentFile],
    ["profile", c.profile ?? "(none)"],
    ["overrides", c.overrides.length ? c.overrides.map((o) => `-p ${o}`).join(" ") : "(none)"],
    ["backend", c.backend],
    ["jobs", String(c.jobs)],
    ["pipeline", `${m.pipeline.name} (${m.pipeline.module})`],
    ["seed", String(m.experiment.seed)],
    ["started", m.startedAt],
    ["finished", m.finishedAt ?? "(not finished)"],
    ["git commit", `${git.commit ?? "unknown"}${git.dirty ? " (dirty: uncommitted changes)" : ""}`],
    ["store", m.store],
  ];
  const diffLink = git.diffFile
    ? `<p>Uncommitted changes at run time: <a href="${relativeUrl([git.diffFile])}">${
      escapeHtml(git.diffFile)
    }</a>.</p>`
    : "";
  const section = (title: string, entries: [string, unknown][]) =>
    entries.length
      ? `<h3>${escapeHtml(title)}</h3>${kv(entries.map(([k, x]) => [k, show(x)]))}`
      : "";
  const software = softwareGpuOf(
    m.stages.map((st) => (st as { annotations?: Record<string, unknown> }).annotations),
  );
  return [
    software === undefined
      ? ""
      : `<p><strong>${escapeHtml(softwareGpuNote(software))}</strong></p>`,
    kv(rows),
    diffLink,
    section("Engine", obj(m.engine)),
    section("Runtime", obj(m.runtime)),
    section("Host", obj(m.host)),
    section("Libraries", obj(m.libraries)),
  ].join("\n");
};
