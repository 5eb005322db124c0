/**
 * Planning, last phase: each instance gets a readable label (its stage name, qualified by the
 * swept values its arms share), and the instances become a directed acyclic graph.
 */
import * as Graph from "effect/Graph";
import { type ArmAssignment, expandSweep } from "../sweep.ts";
import type { PlanNode } from "./types.ts";
import type { Instance } from "./instances.ts";

export const labelInstances = (
  instances: ReadonlyMap<string, Instance>,
  firstLabel: ReadonlyMap<string, string | undefined>,
  assignments: readonly ArmAssignment[],
): Map<string, PlanNode> => {
  const armValues = new Map(assignments.map((a) => [a.id, a.values]));
  const labelOf = (name: string, armIds: ReadonlySet<string>): string => {
    if (armIds.size === 0 || armIds.size === assignments.length) return name;
    const vals = [...armIds].map((id) => armValues.get(id) ?? {});
    const common = Object.keys(vals[0]!).filter((k) =>
      vals.every((x) => JSON.stringify(x[k]) === JSON.stringify(vals[0]![k]))
    );
    const picked: Record<string, unknown> = {};
    for (const k of common) picked[k] = vals[0]![k];
    return common.length === 0
      ? name
      : `${name}[${
        expandSweep({ grid: Object.fromEntries(common.map((k) => [k, [picked[k]]])) })[0]!.id
      }]`;
  };
  const labelled = new Map<string, PlanNode>();
  const used = new Map<string, number>();
  for (const node of instances.values()) {
    const callLabel = firstLabel.get(node.key);
    let label = labelOf(callLabel ? `${node.def.name}:${callLabel}` : node.def.name, node.arms);
    const n = used.get(label) ?? 0;
    used.set(label, n + 1);
    if (n > 0) label = `${label}#${node.key.slice(0, 6)}`;
    labelled.set(node.key, { ...node, arms: [...node.arms], label });
  }
  return labelled;
};

/** The stage graph (edges named by input), or null when it has a cycle. */
export const stageGraph = (
  nodes: ReadonlyMap<string, PlanNode>,
): Graph.DirectedGraph<PlanNode, string> | null => {
  const graph = Graph.directed<PlanNode, string>((g) => {
    const index = new Map<string, number>();
    for (const node of nodes.values()) index.set(node.key, Graph.addNode(g, node));
    for (const node of nodes.values()) {
      for (const [name, upstream] of Object.entries(node.inputs)) {
        Graph.addEdge(g, index.get(upstream)!, index.get(node.key)!, name);
      }
    }
  });
  return Graph.isAcyclic(graph) ? graph : null;
};
