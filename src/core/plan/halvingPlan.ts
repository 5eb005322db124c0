/**
 * Planning successive halving (docs/halving.md): every arm is built once per rung (its budget
 * param set to the rung, plan/arms.ts); here, the work bounds `plan` prints and the plan's
 * extension at run time by the cross-arm stages over the arms that reached the last rung.
 * Which arms go on is decided at run time (halvingRun.ts).
 *
 * Every rung's stages are in the plan: with segmented training, rung r + 1's stages reuse rung
 * r's (same keys), so the plan holds each arm's longest chain once plus an evaluation per rung.
 */
import { budgetWork } from "../halving.ts";
import { PlanError } from "../errors.ts";
import type { AnyPipelineDef, StageCall } from "../pipeline.ts";
import type { ResolvedHalving } from "./halvingOption.ts";
import type { HalvingPlan, HalvingWork, Plan, PlanNode } from "./types.ts";
import { type BuiltArm, recordAggregate } from "./arms.ts";
import { makeInstances, outputKeys } from "./instances.ts";
import { labelInstances, stageGraph } from "./labels.ts";
import { errorText, InvalidCombination, type Issues, makeIssues } from "./issues.ts";

/** Every key `keys` needs: themselves and their inputs, transitively. */
export const closure = (
  nodes: ReadonlyMap<string, PlanNode>,
  keys: Iterable<string>,
): Set<string> => {
  const seen = new Set<string>();
  const stack = [...keys];
  while (stack.length > 0) {
    const key = stack.pop()!;
    if (seen.has(key)) continue;
    seen.add(key);
    stack.push(...Object.values(nodes.get(key)?.inputs ?? {}));
  }
  return seen;
};

/**
 * The work bounds: rung 0 needs every arm's first metric; each later rung adds, for the arms
 * still alive, the stages their next metric needs beyond their last (the largest such additions
 * are assumed, so the count is an upper bound); the end adds the cross-arm stages and what they
 * need beyond the metrics.
 */
export const halvingWork = (
  halving: ResolvedHalving,
  nodes: ReadonlyMap<string, PlanNode>,
  groups: ReadonlyMap<string, readonly string[]>,
  rungOutputs: ReadonlyMap<string, readonly Readonly<Record<string, string>>[]>,
  seeds: number,
  /** What a run without halving materialises: every arm's last-rung outputs, the cross-arm stages. */
  withoutHalving: readonly string[],
): HalvingWork => {
  const n = groups.size;
  const work = budgetWork(n, halving);
  const metricKeys = (group: string, rung: number) =>
    groups.get(group)!.map((arm) => rungOutputs.get(arm)![rung]![halving.output]!);
  const groupIds = [...groups.keys()];
  const needed = closure(nodes, groupIds.flatMap((g) => metricKeys(g, 0)));
  let stages = needed.size;
  for (let r = 1; r < halving.rungs.length; r++) {
    const added = groupIds.map((g) => {
      const before = closure(nodes, metricKeys(g, r - 1));
      return [...closure(nodes, metricKeys(g, r))].filter((k) => !before.has(k)).length;
    }).sort((a, b) => b - a);
    stages += added.slice(0, work.counts[r]).reduce((a, b) => a + b, 0);
  }
  // the end: the cross-arm stages and what they and the survivors' other outputs need beyond
  // the metrics (baselines, shared models), counted over every arm
  const top = halving.rungs.length - 1;
  const metrics = closure(nodes, groupIds.flatMap((g) => metricKeys(g, top)));
  const crossArm = [...closure(nodes, withoutHalving)].filter((k) => !metrics.has(k)).length;
  return {
    armsPerRung: work.counts,
    budgetWithHalving: work.withHalving * seeds,
    budgetWithout: work.without * seeds,
    stagesAtMost: Math.min(stages + crossArm, nodes.size),
    stagesWithout: closure(nodes, withoutHalving).size,
  };
};

export interface HalvingInputs {
  readonly halving: ResolvedHalving;
  /** The plan without halving's parts (its aggregate: over every arm at the last rung). */
  readonly plan: Omit<Plan, "halving">;
  readonly pipeline: AnyPipelineDef;
  readonly arms: readonly BuiltArm[];
  /** The recorded calls (the run-time aggregate is recorded after them). */
  readonly calls: StageCall[];
  readonly keyOfCall: ReadonlyMap<number, string>;
  readonly context: { readonly seed: number; readonly engine: unknown; readonly root: string };
}

/** The halving part of a plan; a metric output missing from an arm is reported. */
export const planHalving = (input: HalvingInputs, issues: Issues): HalvingPlan => {
  const { halving, plan, calls } = input;
  const rungOutputs = new Map<string, Record<string, string>[]>();
  const groups = new Map<string, string[]>();
  for (const arm of input.arms) {
    // an arm that declares no stages (a skipped combination) takes no part
    if (Object.keys(arm.outputs).length === 0) continue;
    const id = arm.assignment.id;
    const keys = arm.rungs.map((outputs, r) =>
      outputKeys(calls, input.keyOfCall, outputs, `arm ${id} at rung ${r}`, issues)
    );
    if (!(halving.output in arm.outputs)) {
      issues.add(
        "sweep.halving",
        `metric "${halving.metric}" names output "${halving.output}", which arm ${id} does not have; its outputs: ${
          Object.keys(arm.outputs).join(", ")
        }`,
        "halving.metric",
      );
      continue;
    }
    rungOutputs.set(id, keys);
    const group = arm.assignment.group;
    groups.set(group, [...(groups.get(group) ?? []), id]);
  }
  const seeds = Math.max(1, ...[...groups.values()].map((g) => g.length));
  const lastOutputs = [...rungOutputs.values()].flatMap((rs) => Object.values(rs.at(-1)!));
  const work = halvingWork(
    halving,
    plan.nodes,
    groups,
    rungOutputs,
    seeds,
    [...lastOutputs, ...Object.values(plan.aggregate)],
  );
  const finish = (lastRung: ReadonlyMap<string, number>): Plan => {
    const top = halving.rungs.length - 1;
    const survivors = input.arms.filter((a) =>
      Object.keys(a.outputs).length === 0 || lastRung.get(a.assignment.id) === top
    );
    const late = makeIssues(plan.experiment.file);
    let aggregate: Record<string, string> = {};
    const nodes = new Map([...plan.nodes].filter(([, node]) => !node.aggregate));
    try {
      const before = calls.length;
      const outputs = recordAggregate(input.pipeline, survivors, calls);
      // the arms' calls and the new cross-arm ones (the planned cross-arm calls would take labels)
      const now = [...calls.filter((c) => c.arm !== null), ...calls.slice(before)];
      const instances = makeInstances(now, input.context, late);
      aggregate = outputKeys(calls, instances.keyOfCall, outputs, "aggregate", late);
      late.throwIfAny();
      const labelled = labelInstances(
        instances.nodes,
        instances.firstLabel,
        input.arms.map((a) => a.assignment),
      );
      const needed = closure(labelled, Object.values(aggregate));
      for (const [key, node] of labelled) {
        if (node.aggregate && needed.has(key)) nodes.set(key, node);
      }
    } catch (e) {
      if (e instanceof PlanError) throw e;
      late.add("aggregate", errorText(e), e instanceof InvalidCombination ? e.field : undefined);
      late.throwIfAny();
    }
    const arms = plan.arms.map((arm) => {
      const rung = lastRung.get(arm.id);
      const keys = rungOutputs.get(arm.id);
      return rung === undefined || keys === undefined ? arm : { ...arm, outputs: keys[rung]! };
    });
    return { ...plan, arms, aggregate, nodes, graph: stageGraph(nodes)!, halving: halvingPlan };
  };
  const halvingPlan: HalvingPlan = { spec: halving, groups, rungOutputs, work, finish };
  return halvingPlan;
};
