/**
 * Everything a report shows, read from a run directory only (manifest.json, metrics.jsonl,
 * summary.md, artifacts/): never the store, never tensor code, so a copied run directory
 * renders the same report.
 */
import { join, relative } from "node:path";
import { type Manifest, readManifest, sanitiseLabel } from "../core/runDir.ts";
import * as fsys from "../platform/fs.ts";

/** One stage entry of the manifest with the fields the report uses (older manifests lack some). */
export interface StageEntry {
  readonly key: string;
  readonly label: string;
  readonly stage: string;
  readonly status: string | null;
  readonly arms: readonly string[];
  readonly inputs: Readonly<Record<string, string>>;
  readonly durationMs: number | null;
  readonly resumed: boolean;
  readonly error: string | null;
}

/** One metrics row: which stage logged it and its numeric fields. */
export interface MetricRow {
  readonly stage: string;
  readonly key: string;
  readonly arms: readonly string[];
  readonly cached: boolean;
  readonly values: Readonly<Record<string, number>>;
}

/** A file under artifacts/<stage dir>/, with its path relative to the run directory. */
export interface ArtifactFile {
  readonly stageDir: string;
  /** Path inside the stage's artifact directory, `/`-separated. */
  readonly name: string;
  /** Path segments relative to the run directory. */
  readonly segments: readonly string[];
}

export interface RunData {
  readonly dir: string;
  readonly manifest: Manifest;
  readonly stages: readonly StageEntry[];
  readonly metrics: readonly MetricRow[];
  /** Lines of metrics.jsonl that were not JSON objects (a run killed mid-write). */
  readonly badMetricLines: number;
  readonly summary: string | null;
  /** Stage label → its artifact files. */
  readonly artifacts: ReadonlyMap<string, readonly ArtifactFile[]>;
  /** Size of metrics.jsonl in bytes (a live page reloads when it grows). */
  readonly metricsBytes: number;
}

const asString = (x: unknown): string | null => (typeof x === "string" ? x : null);

const stageEntries = (m: Manifest): StageEntry[] =>
  m.stages.map((s) => {
    const r = s as Record<string, unknown>;
    return {
      key: s.key,
      label: s.label,
      stage: s.stage,
      status: s.status,
      arms: Array.isArray(r.arms) ? r.arms.filter((a): a is string => typeof a === "string") : [],
      inputs: r.inputs !== null && typeof r.inputs === "object"
        ? Object.fromEntries(
          Object.entries(r.inputs as Record<string, unknown>).filter(([, k]) =>
            typeof k === "string"
          ) as [string, string][],
        )
        : {},
      durationMs: typeof r.durationMs === "number" ? r.durationMs : null,
      resumed: r.resumed === true,
      error: asString(r.error),
    };
  });

/** Parses metrics.jsonl: numeric fields of each row become values; other fields are dropped. */
export const parseMetrics = (text: string): { rows: MetricRow[]; bad: number } => {
  const rows: MetricRow[] = [];
  let bad = 0;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      bad++;
      continue;
    }
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
      bad++;
      continue;
    }
    const r = raw as Record<string, unknown>;
    const values: Record<string, number> = {};
    for (const [k, x] of Object.entries(r)) {
      if (typeof x === "number" && k !== "key") values[k] = x;
    }
    rows.push({
      stage: asString(r.stage) ?? "?",
      key: asString(r.key) ?? "",
      arms: Array.isArray(r.arms) ? r.arms.filter((a): a is string => typeof a === "string") : [],
      cached: r.cached === true,
      values,
    });
  }
  return { rows, bad };
};

/** Files under `dir`; synchronous calls, which cost several times less per folder (one a stage). */
const walk = (root: string, dir: string, out: string[]) => {
  for (const e of fsys.readDirSync(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) walk(root, path, out);
    else if (e.isFile) out.push(relative(root, path).split("\\").join("/"));
  }
};

const isInsidePath = (f: unknown): f is string =>
  typeof f === "string" && !f.includes("\\") && !f.includes("\0") &&
  f.split("/").every((part) => part !== "" && part !== "." && part !== "..");

/** Stage key -> the files its run linked under artifacts/ (manifests since the list was added). */
const linkedFiles = (m: Manifest): Map<string, string[]> => {
  const out = new Map<string, string[]>();
  for (const s of m.stages) {
    const files = (s as Record<string, unknown>).files;
    // relative paths inside the stage's folder only: a list naming anything else is ignored
    // (the folder is walked instead), so an edited manifest cannot point the report outside it
    if (Array.isArray(files) && files.every(isInsidePath)) out.set(s.key, [...files]);
  }
  return out;
};

/** Reads a run directory (throws InvalidFile when manifest.json is missing or invalid). */
export const readRun = async (dir: string): Promise<RunData> => {
  const manifest = await readManifest(dir);
  const stages = stageEntries(manifest);
  const metricsText = await fsys.readTextFile(join(dir, "metrics.jsonl")).catch(() => "");
  const { rows, bad } = parseMetrics(metricsText);
  const summary = await fsys.readTextFile(join(dir, "summary.md")).catch(() => null);
  const artifacts = new Map<string, ArtifactFile[]>();
  const listed = linkedFiles(manifest);
  for (const s of stages) {
    const stageDir = sanitiseLabel(s.label);
    // the files the run linked, as its manifest lists them; a walk for manifests without the list
    let files = listed.get(s.key);
    if (files === undefined) {
      files = [];
      try {
        walk(join(dir, "artifacts", stageDir), join(dir, "artifacts", stageDir), files);
      } catch {
        // no artifacts folder for this stage (it did not finish)
      }
    }
    if (files.length === 0) continue;
    artifacts.set(
      s.label,
      files.sort().map((name) => ({
        stageDir,
        name,
        segments: ["artifacts", stageDir, ...name.split("/")],
      })),
    );
  }
  return {
    dir,
    manifest,
    stages,
    metrics: rows,
    badMetricLines: bad,
    summary,
    artifacts,
    metricsBytes: new TextEncoder().encode(metricsText).length,
  };
};
