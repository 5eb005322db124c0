/**
 * Planning, second phase: every arm of the sweep gets its params (base plus swept values,
 * validated by the pipeline's schema) and its `build` is recorded, then `aggregate` over all arms.
 */
import * as v from "valibot";
import type { AnyPipelineDef, ArmOutputs, ArmView, StageCall } from "../pipeline.ts";
import { recordingBuilder } from "../pipeline.ts";
import { expandSweep, type SweepSpec } from "../sweep.ts";
import { replicateArms, type ReplicateAssignment } from "../replicates.ts";
import { setParam, variantFieldHint } from "../paramSchema.ts";
import { errorText, InvalidCombination, type Issues } from "./issues.ts";
import type { ResolvedHalving } from "./halvingOption.ts";

export interface BuiltArm {
  readonly assignment: ReplicateAssignment;
  /** The params and outputs at the full budget (halving: the last rung). */
  readonly params: unknown;
  readonly outputs: ArmOutputs;
  /** Halving: the outputs at each rung (the last is `outputs`); empty without halving. */
  readonly rungs: readonly ArmOutputs[];
}

export interface BuiltArms {
  readonly calls: StageCall[];
  readonly arms: readonly BuiltArm[];
  readonly aggregateOutputs: ArmOutputs;
}

export const buildArms = (
  pipeline: AnyPipelineDef,
  base: Record<string, unknown>,
  sweep: SweepSpec | undefined,
  replicateCount: number | undefined,
  issues: Issues,
  halving?: ResolvedHalving,
): BuiltArms => {
  const all = replicateArms(expandSweep(sweep), replicateCount, pipeline.replicateSeed);
  // `--extend <arm>`: only those sweep arms (every replicate seed of each)
  const extend = halving?.extend ?? [];
  const known = [...new Set(all.map((a) => a.group))];
  for (const arm of extend.filter((x) => !known.includes(x))) {
    issues.add(
      "command line",
      `--extend ${arm}: the sweep has no such arm; its arms: ${known.join(", ")}`,
      "halving.extend",
    );
  }
  const assignments = extend.length === 0 ? all : all.filter((a) => extend.includes(a.group));
  const calls: StageCall[] = [];
  const arms: BuiltArm[] = [];
  for (const assignment of assignments) {
    let raw = base;
    for (const [path, value] of Object.entries(assignment.values)) {
      raw = setParam(pipeline.params, raw, path, value);
    }
    // halving builds the arm once per rung, its budget param set to the rung
    const budgets = halving?.rungs ?? [null];
    const rungs: ArmOutputs[] = [];
    let params: unknown;
    for (const budget of budgets) {
      const withBudget = budget === null
        ? raw
        : setParam(pipeline.params, raw, halving!.budget, budget);
      const parsed = v.safeParse(pipeline.params, withBudget);
      if (!parsed.success) {
        for (const i of parsed.issues) {
          const where = assignments.length > 1 && Object.keys(assignment.values).some((k) =>
              v.getDotPath(i)?.startsWith(k)
            )
            ? `arm ${assignment.id}`
            : "params";
          const path = v.getDotPath(i) ?? undefined;
          const hint = i.type === "strict_object" && path !== undefined
            ? variantFieldHint(pipeline.params, withBudget, path)
            : null;
          issues.add(where, hint ?? i.message, path);
        }
        break;
      }
      try {
        rungs.push(pipeline.build(parsed.output, recordingBuilder(calls, assignment.id)));
        params = parsed.output;
      } catch (e) {
        issues.add(
          `arm ${assignment.id}`,
          errorText(e),
          e instanceof InvalidCombination ? e.field : undefined,
        );
        break;
      }
    }
    if (rungs.length === budgets.length) {
      arms.push({ assignment, params, outputs: rungs.at(-1)!, rungs: halving ? rungs : [] });
    }
  }
  let aggregateOutputs: ArmOutputs = {};
  if (pipeline.aggregate && issues.count() === 0) {
    try {
      aggregateOutputs = recordAggregate(pipeline, arms, calls);
    } catch (e) {
      issues.add("aggregate", errorText(e), e instanceof InvalidCombination ? e.field : undefined);
    }
  }
  return { calls, arms, aggregateOutputs };
};

/**
 * Records the pipeline's `aggregate` over `arms` into `calls` (throws what it throws). Halving
 * calls it again at run time over the arms that reached the last rung.
 */
export const recordAggregate = (
  pipeline: AnyPipelineDef,
  arms: readonly BuiltArm[],
  calls: StageCall[],
): ArmOutputs => {
  if (!pipeline.aggregate) return {};
  const views: ArmView<unknown>[] = arms.map((a) => ({
    id: a.assignment.id,
    group: a.assignment.group,
    replicate: a.assignment.replicate,
    params: a.params,
    outputs: a.outputs,
  }));
  return pipeline.aggregate(views, recordingBuilder(calls, null));
};
