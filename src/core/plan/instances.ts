/**
 * Planning, third phase: every recorded stage call becomes a stage instance with its cache key;
 * calls with the same key (a dataset every arm builds) merge into one instance.
 */
import * as v from "valibot";
import type { ArmOutputs, StageCall } from "../pipeline.ts";
import { FOREIGN_HANDLE, isIssuedHandle } from "../pipeline.ts";
import { inputProblems } from "../stage.ts";
import { sourceHash } from "../sourceHash.ts";
import { cacheKey, deriveStageSeed, type KeyComponents, makeKeyComponents } from "../cacheKey.ts";
import { NotCanonicalizable } from "../canonicalJson.ts";
import type { PlanNode } from "./types.ts";
import { errorText, type Issues } from "./issues.ts";

/** An instance before labelling: the arms that use it still collect. */
export type Instance = Omit<PlanNode, "label" | "arms"> & { readonly arms: Set<string> };

export interface Instances {
  readonly nodes: ReadonlyMap<string, Instance>;
  /** Node id of a call -> key of its instance. */
  readonly keyOfCall: ReadonlyMap<number, string>;
  /** Key -> the `label` option of the first call that made the instance. */
  readonly firstLabel: ReadonlyMap<string, string | undefined>;
}

const whereOf = (call: StageCall) =>
  `stage "${call.def.name}"${call.arm === null ? " (aggregate)" : ` in arm ${call.arm}`}`;

export const makeInstances = (
  calls: readonly StageCall[],
  context: { readonly seed: number; readonly engine: unknown; readonly root: string },
  issues: Issues,
): Instances => {
  const keyOfCall = new Map<number, string>();
  /** Calls already reported (their users are not reported again). */
  const broken = new Set<number>();
  const firstLabel = new Map<string, string | undefined>();
  const nodes = new Map<string, Instance>();
  for (const call of calls) {
    const where = whereOf(call);
    const failed = () => void broken.add(call.nodeId);
    const parsed = v.safeParse(call.def.params, call.params);
    if (!parsed.success) {
      for (const i of parsed.issues) issues.add(where, i.message, v.getDotPath(i) ?? undefined);
      failed();
      continue;
    }
    const problems = inputProblems(call.def.inputs, Object.keys(call.inputs));
    for (const p of problems) issues.add(where, p.message, p.name);
    let wiringOk = problems.length === 0;
    const inputs: Record<string, string> = {};
    for (const [name, id] of Object.entries(call.inputs)) {
      const k = keyOfCall.get(id);
      if (k !== undefined) inputs[name] = k;
      else {
        wiringOk = false;
        // an upstream already reported needs no second message; anything else is a bad handle
        if (id === FOREIGN_HANDLE || !broken.has(id)) {
          issues.add(
            where,
            `input "${name}" is not a handle returned by b.stage(…) earlier in this plan (a handle from another plan, or a made-up one)`,
            name,
          );
        }
      }
    }
    if (!wiringOk) {
      failed();
      continue;
    }
    let code: string;
    try {
      code = sourceHash(call.def.module, context.root).hash;
    } catch (e) {
      issues.add(where, `cannot hash the stage's source ${call.def.module}: ${errorText(e)}`);
      failed();
      continue;
    }
    let components: KeyComponents;
    let stageSeed: number;
    try {
      stageSeed = deriveStageSeed(context.seed, {
        name: call.def.name,
        params: parsed.output,
        inputs,
      });
      components = makeKeyComponents({
        name: call.def.name,
        version: call.def.version,
        code,
        params: parsed.output,
        inputs,
        seed: call.def.seeded === false ? null : stageSeed,
        engine: call.def.engineSensitive ? context.engine : null,
      });
    } catch (e) {
      issues.add(
        where,
        e instanceof NotCanonicalizable ? e.message : errorText(e),
        e instanceof NotCanonicalizable ? e.path : undefined,
      );
      failed();
      continue;
    }
    const key = cacheKey(components);
    keyOfCall.set(call.nodeId, key);
    if (!firstLabel.has(key)) firstLabel.set(key, call.label);
    const existing = nodes.get(key);
    if (existing) {
      if (call.arm !== null) existing.arms.add(call.arm);
      continue;
    }
    nodes.set(key, {
      key,
      def: call.def,
      params: parsed.output,
      inputs,
      seed: stageSeed,
      components,
      arms: new Set(call.arm === null ? [] : [call.arm]),
      aggregate: call.arm === null,
    });
  }
  return { nodes, keyOfCall, firstLabel };
};

/** Output name -> key; an output that is not a handle of this plan is reported. */
export const outputKeys = (
  calls: readonly StageCall[],
  keyOfCall: ReadonlyMap<number, string>,
  outputs: ArmOutputs,
  where: string,
  issues: Issues,
): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [name, handle] of Object.entries(outputs)) {
    if (isIssuedHandle(calls, handle)) {
      // a real handle without a key: its stage was reported already
      const key = keyOfCall.get(handle.nodeId);
      if (key !== undefined) out[name] = key;
    } else {
      issues.add(
        where,
        `output "${name}" is not a handle returned by b.stage(…) in this plan (a handle from another plan, or a made-up one)`,
        name,
      );
    }
  }
  return out;
};
