/**
 * Read-only views of plans and run directories: `plan`, `explain`, `ls`, `show`, `compare`.
 * Each returns text; main.ts prints it.
 */
import * as Graph from "effect/Graph";
import { join } from "node:path";
import type { Plan, PlanNode } from "../core/plan.ts";
import { diffComponents, type KeyComponents } from "../core/cacheKey.ts";
import { canonicalJson } from "../core/canonicalJson.ts";
import { describeHalving } from "../core/halvingRecord.ts";
import { listRunDirs, type Manifest, readManifest } from "../core/runDir.ts";
import { aggregateSeeds, seedAggregateLines } from "../report/seedAggregate.ts";
import * as fsys from "../platform/fs.ts";

/** `diffrun plan`: every stage with hit or miss, or the graph as mermaid / dot. */
export const formatPlan = (
  plan: Plan,
  hits: ReadonlySet<string>,
  format: "text" | "mermaid" | "dot" | "json",
): string => {
  const label = (n: PlanNode) => `${n.label} ${hits.has(n.key) ? "(hit)" : "(miss)"}`;
  if (format === "mermaid") {
    return Graph.toMermaid(plan.graph, {
      nodeLabel: label,
      edgeLabel: (e) => e,
    });
  }
  if (format === "dot") {
    return Graph.toGraphViz(plan.graph, {
      nodeLabel: label,
      edgeLabel: (e) => e,
      graphName: plan.experiment.name,
    });
  }
  const nodes = [...plan.nodes.values()];
  if (format === "json") {
    return JSON.stringify(
      {
        experiment: plan.experiment,
        arms: plan.arms,
        halving: plan.halving === null ? null : {
          ...plan.halving.spec,
          work: plan.halving.work,
          rungOutputs: Object.fromEntries(plan.halving.rungOutputs),
        },
        stages: nodes.map((n) => ({
          label: n.label,
          key: n.key,
          hit: hits.has(n.key),
          arms: n.arms,
          inputs: n.inputs,
          params: n.params,
        })),
      },
      null,
      2,
    );
  }
  const misses = nodes.filter((n) => !hits.has(n.key)).length;
  const lines = [
    `${plan.experiment.name}${
      plan.experiment.profile ? ` (profile ${plan.experiment.profile})` : ""
    }: ${plan.arms.length} arm(s), ${nodes.length} stage(s), ${
      nodes.length - misses
    } hit, ${misses} to run`,
  ];
  lines.push(...armParamLines(plan));
  if (plan.halving !== null) lines.push(...describeHalving(plan.halving));
  for (const n of nodes) {
    const ins = Object.entries(n.inputs).map(([name, k]) => `${name}←${plan.nodes.get(k)!.label}`)
      .join(" ");
    lines.push(
      `  [${hits.has(n.key) ? "hit " : "miss"}] ${n.key.slice(0, 12)} ${n.label}${
        ins ? `  (${ins})` : ""
      }`,
    );
  }
  return lines.join("\n");
};

/** Dotted path -> short text of every leaf of a params object (arrays are leaves). */
const paramLeaves = (value: unknown, prefix = "", out = new Map<string, string>()) => {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) {
      paramLeaves(v, prefix ? `${prefix}.${k}` : k, out);
    }
  } else out.set(prefix, typeof value === "string" ? value : canonicalJson(value ?? null));
  return out;
};

/**
 * The params each arm really gets: with one arm all of them, with several the ones that differ
 * between arms (a field some arms lack shows as `-` there).
 */
const armParamLines = (plan: Plan): string[] => {
  const leaves = plan.arms.map((a) => paramLeaves(a.params));
  if (leaves.length === 0) return [];
  if (leaves.length === 1) {
    const all = [...leaves[0]!].map(([k, v]) => `${k}=${v}`).join(" ");
    return [`  arm ${plan.arms[0]!.id}: ${all}`];
  }
  const paths = [...new Set(leaves.flatMap((l) => [...l.keys()]))];
  const differing = paths.filter((p) => leaves.some((l) => l.get(p) !== leaves[0]!.get(p)));
  return [
    "  arms (params that differ between arms):",
    ...plan.arms.map((arm, i) =>
      `    ${arm.id}: ${differing.map((p) => `${p}=${leaves[i]!.get(p) ?? "-"}`).join(" ")}`
    ),
  ];
};

/** The newest run directory of an experiment with a readable manifest, if any. */
export const lastRun = async (
  resultsRoot: string,
  experiment: string,
): Promise<{ dir: string; manifest: Manifest } | null> => {
  for (const dir of await listRunDirs(resultsRoot)) {
    if (!dir.includes(`/${experiment}/`)) continue;
    try {
      return { dir, manifest: await readManifest(dir) };
    } catch {
      // unreadable manifest: try an older run
    }
  }
  return null;
};

const paramDiff = (a: unknown, b: unknown, path = ""): string[] => {
  if (canonicalJson(a) === canonicalJson(b)) return [];
  const isObj = (x: unknown): x is Record<string, unknown> =>
    x !== null && typeof x === "object" && !Array.isArray(x);
  if (isObj(a) && isObj(b)) {
    return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort().flatMap((k) =>
      paramDiff(a[k], b[k], path ? `${path}.${k}` : k)
    );
  }
  return [`${path || "value"}: ${canonicalJson(a ?? null)} → ${canonicalJson(b ?? null)}`];
};

/**
 * `diffrun explain`: why a stage's key differs from the last run's: which ingredient changed
 * (stage version, code, params with the exact fields, seed, engine), following changed inputs
 * upstream to the stage where the change starts.
 */
export const explainStage = (plan: Plan, previous: Manifest, query: string): string => {
  const matches = [...plan.nodes.values()].filter((n) => n.label === query || n.def.name === query);
  if (matches.length === 0) {
    return `no stage "${query}" in this plan; stages: ${
      [...new Set([...plan.nodes.values()].map((n) => n.label))].join(", ")
    }`;
  }
  const before = new Map(previous.stages.map((s) => [s.label, s]));
  const lines: string[] = [];
  const explain = (node: PlanNode, depth: number) => {
    const pad = "  ".repeat(depth);
    const old = before.get(node.label);
    if (!old) {
      lines.push(
        `${pad}${node.label}: new in this plan (no stage of that label in run ${previous.runId})`,
      );
      return;
    }
    if (old.key === node.key) {
      lines.push(`${pad}${node.label}: unchanged (key ${node.key.slice(0, 12)})`);
      return;
    }
    const was = old.components as KeyComponents;
    const changed = diffComponents(was, node.components);
    lines.push(
      `${pad}${node.label}: key ${old.key.slice(0, 12)} → ${node.key.slice(0, 12)}; changed: ${
        changed.join(", ")
      }`,
    );
    for (const c of changed) {
      if (c === "params") {
        for (const d of paramDiff(was.params, node.components.params)) {
          lines.push(`${pad}  params ${d}`);
        }
      } else if (c === "code") {
        lines.push(
          `${pad}  code: the stage's module or one of its local imports changed (${
            was.code.slice(0, 12)
          } → ${node.components.code.slice(0, 12)})`,
        );
      } else if (c === "stage") {
        lines.push(`${pad}  version: ${was.stage.version} → ${node.components.stage.version}`);
      } else if (c === "seed") lines.push(`${pad}  seed: ${was.seed} → ${node.components.seed}`);
      else if (c === "engine") {
        lines.push(
          `${pad}  engine: ${canonicalJson(was.engine)} → ${canonicalJson(node.components.engine)}`,
        );
      } else if (c === "inputs") {
        for (const [name, k] of Object.entries(node.inputs)) {
          if (was.inputs?.[name] !== k) {
            lines.push(`${pad}  input "${name}" changed:`);
            explain(plan.nodes.get(k)!, depth + 2);
          }
        }
      }
    }
  };
  for (const m of matches) explain(m, 0);
  return `compared with run ${previous.runId}:\n${lines.join("\n")}`;
};

const readSummaryRows = async (dir: string): Promise<Map<string, Record<string, string>>> => {
  const rows = new Map<string, Record<string, string>>();
  const text = await fsys.readTextFile(join(dir, "summary.md")).catch(() => "");
  const table = text.split("## Arms")[1]?.split("\n## ")[0] ?? "";
  const lines = table.split("\n").filter((l) => l.startsWith("|"));
  const header = lines[0]?.split("|").slice(1, -1).map((s) => s.trim()) ?? [];
  for (const line of lines.slice(2)) {
    const cells = line.split("|").slice(1, -1).map((s) => s.trim());
    rows.set(cells[0] ?? "", Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ""])));
  }
  return rows;
};

/** `diffrun ls`: one line per run, newest first. */
export const listRuns = async (resultsRoot: string): Promise<string> => {
  const dirs = await listRunDirs(resultsRoot);
  if (dirs.length === 0) return `no runs under ${resultsRoot}`;
  const lines = ["status       arms stages  run"];
  for (const dir of dirs) {
    try {
      const m = await readManifest(dir);
      lines.push(
        `${m.status.padEnd(12)} ${String(m.arms.length).padStart(4)} ${
          String(m.stages.length).padStart(6)
        }  ${dir}`,
      );
    } catch {
      lines.push(`${"unreadable".padEnd(12)} ${"".padStart(4)} ${"".padStart(6)}  ${dir}`);
    }
  }
  return lines.join("\n");
};

/** `diffrun show`: the manifest's essentials and the summary. */
export const showRun = async (dir: string): Promise<string> => {
  const m = await readManifest(dir);
  const summary = await fsys.readTextFile(join(dir, "summary.md")).catch(() => "(no summary.md)");
  const c = m.command;
  const record = m as Record<string, unknown>;
  const gitInfo = record.git as { commit?: string | null; dirty?: boolean | null } | undefined;
  return [
    `run ${m.runId}: ${m.status}`,
    `experiment ${m.experiment.name} (${c.experimentFile}${
      c.profile ? `, profile ${c.profile}` : ""
    }${
      c.overrides.length ? `, ${c.overrides.map((o) => `-p ${o}`).join(" ")}` : ""
    }), backend ${c.backend}`,
    `started ${m.startedAt}, finished ${m.finishedAt ?? "-"}`,
    `git ${gitInfo?.commit?.slice(0, 12) ?? "?"}${gitInfo?.dirty ? " (dirty)" : ""}`,
    "",
    summary,
  ].join("\n");
};

/** `diffrun compare`: arms of several runs side by side; columns whose values differ are marked. */
export const compareRuns = async (dirs: readonly string[]): Promise<string> => {
  const rows: { run: string; arm: string; cells: Record<string, string> }[] = [];
  const seeded: { run: string; agg: NonNullable<ReturnType<typeof aggregateSeeds>> }[] = [];
  for (const dir of dirs) {
    const m = await readManifest(dir);
    const summary = await readSummaryRows(dir);
    const agg = aggregateSeeds(m.arms, summary);
    if (agg) seeded.push({ run: `${m.experiment.name}/${m.runId}`, agg });
    for (const arm of m.arms) {
      const params = Object.fromEntries(
        Object.entries(flatten(arm.params)).map(([k, v]) => [k, String(v)]),
      );
      const metrics = summary.get(arm.id) ?? {};
      delete metrics.arm;
      rows.push({
        run: `${m.experiment.name}/${m.runId}`,
        arm: arm.id,
        cells: { ...params, ...metrics },
      });
    }
  }
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r.cells)))];
  const differs = new Set(
    columns.filter((c) => new Set(rows.map((r) => r.cells[c] ?? "")).size > 1),
  );
  const shown = columns.filter((c) => differs.has(c) || !c.includes("."));
  const head = ["run", "arm", ...shown.map((c) => (differs.has(c) ? `*${c}*` : c))];
  const out = [`| ${head.join(" | ")} |`, `|${"---|".repeat(head.length)}`];
  for (const r of rows) {
    out.push(
      `| ${
        [
          r.run,
          r.arm,
          ...shown.map((c) => (differs.has(c) ? `**${r.cells[c] ?? ""}**` : r.cells[c] ?? "")),
        ].join(" | ")
      } |`,
    );
  }
  out.push("", `${differs.size} column(s) differ between rows (marked *…*).`);
  if (seeded.length > 0) {
    // one table over the runs with replicates: each sweep arm as mean ± 95% CI over its seeds
    const metrics = [...new Set(seeded.flatMap((s) => s.agg.columns))];
    out.push(
      "",
      "Across seeds: mean ± half-width of the 95% Student-t interval (n seeds):",
      "",
      `| run | arm | n | ${metrics.join(" | ")} |`,
      `|${"---|".repeat(3 + metrics.length)}`,
      ...seeded.flatMap((s) => seedAggregateLines(s.run, { ...s.agg, columns: metrics })),
    );
  }
  return out.join("\n");
};

const flatten = (value: unknown, prefix = ""): Record<string, unknown> => {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return prefix ? { [prefix]: Array.isArray(value) ? JSON.stringify(value) : value } : {};
  }
  return Object.entries(value as Record<string, unknown>).reduce(
    (acc, [k, v]) => ({ ...acc, ...flatten(v, prefix ? `${prefix}.${k}` : k) }),
    {} as Record<string, unknown>,
  );
};
