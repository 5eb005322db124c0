/**
 * Planning, second phase: every arm of the sweep gets its params (base plus swept values,
 * validated by the pipeline's schema) and its `build` is recorded, then `aggregate` over all arms.
 */
import * as v from "valibot";
import type { AnyPipelineDef, ArmOutputs, ArmView, StageCall } from "../pipeline.ts";
import { recordingBuilder } from "../pipeline.ts";
import { expandSweep, type SweepSpec } from "../sweep.ts";
import { replicateArms, type ReplicateAssignment } from "../replicates.ts";
import { setParam } from "../paramSchema.ts";
import { errorText, InvalidCombination, type Issues } from "./issues.ts";

export interface BuiltArm {
  readonly assignment: ReplicateAssignment;
  readonly params: unknown;
  readonly outputs: ArmOutputs;
}

export interface BuiltArms {
  readonly calls: readonly StageCall[];
  readonly arms: readonly BuiltArm[];
  readonly aggregateOutputs: ArmOutputs;
}

export const buildArms = (
  pipeline: AnyPipelineDef,
  base: Record<string, unknown>,
  sweep: SweepSpec | undefined,
  replicateCount: number | undefined,
  issues: Issues,
): BuiltArms => {
  const assignments = replicateArms(expandSweep(sweep), replicateCount, pipeline.replicateSeed);
  const calls: StageCall[] = [];
  const arms: BuiltArm[] = [];
  for (const assignment of assignments) {
    let raw = base;
    for (const [path, value] of Object.entries(assignment.values)) {
      raw = setParam(pipeline.params, raw, path, value);
    }
    const parsed = v.safeParse(pipeline.params, raw);
    if (!parsed.success) {
      for (const i of parsed.issues) {
        const where = assignments.length > 1 && Object.keys(assignment.values).some((k) =>
            v.getDotPath(i)?.startsWith(k)
          )
          ? `arm ${assignment.id}`
          : "params";
        issues.add(where, i.message, v.getDotPath(i) ?? undefined);
      }
      continue;
    }
    try {
      const outputs = pipeline.build(parsed.output, recordingBuilder(calls, assignment.id));
      arms.push({ assignment, params: parsed.output, outputs });
    } catch (e) {
      issues.add(
        `arm ${assignment.id}`,
        errorText(e),
        e instanceof InvalidCombination ? e.field : undefined,
      );
    }
  }
  let aggregateOutputs: ArmOutputs = {};
  if (pipeline.aggregate && issues.count() === 0) {
    const views: ArmView<unknown>[] = arms.map((a) => ({
      id: a.assignment.id,
      group: a.assignment.group,
      replicate: a.assignment.replicate,
      params: a.params,
      outputs: a.outputs,
    }));
    try {
      aggregateOutputs = pipeline.aggregate(views, recordingBuilder(calls, null));
    } catch (e) {
      issues.add("aggregate", errorText(e), e instanceof InvalidCombination ? e.field : undefined);
    }
  }
  return { calls, arms, aggregateOutputs };
};
