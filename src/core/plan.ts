/**
 * Planning: an experiment (with profile and `-p` overrides) becomes one de-duplicated DAG of
 * stage instances, each with its cache key, or a PlanError listing every problem found.
 *
 * Planning is pure with respect to the store: it reads source files (for code hashes) and
 * nothing else, so a plan that fails has touched nothing.
 */
import { resolve } from "node:path";
import type { AnyExperimentDef } from "./experiment.ts";
import { errorText, makeIssues } from "./plan/issues.ts";
import { checkArmCount, MAX_ARMS, resolveParams } from "./plan/params.ts";
import { buildArms } from "./plan/arms.ts";
import { makeInstances, outputKeys } from "./plan/instances.ts";
import { labelInstances, stageGraph } from "./plan/labels.ts";
import type { Plan, PlanOptions } from "./plan/types.ts";
import { planHalving } from "./plan/halvingPlan.ts";
import * as fsys from "../platform/fs.ts";

export type { ArmPlan, HalvingPlan, Plan, PlanNode, PlanOptions } from "./plan/types.ts";
export { InvalidCombination } from "./plan/issues.ts";
export { MAX_ARMS } from "./plan/params.ts";

export const planExperiment = (exp: AnyExperimentDef, options: PlanOptions): Plan => {
  const file = options.file;
  const issues = makeIssues(file);
  const pipeline = exp.pipeline;

  // -- profile, overrides, param names ---------------------------------------------------------
  const { profileName, base, sweep, replicateCount, halving } = resolveParams(exp, options, issues);
  issues.throwIfAny();
  checkArmCount(sweep, options.maxArms ?? MAX_ARMS, issues, replicateCount ?? 1);
  issues.throwIfAny();

  // -- arms -----------------------------------------------------------------------------------
  const { calls, arms, aggregateOutputs } = buildArms(
    pipeline,
    base,
    sweep,
    replicateCount,
    issues,
    halving,
  );
  issues.throwIfAny({ collapseArms: true });

  // -- stage instances and keys ---------------------------------------------------------------
  const seed = exp.seed ?? 0;
  // `auto` is resolved before planning (runner.ts loadAndPlan); a direct caller's `auto` is ort
  const requested = options.backend ?? exp.backend ?? "ort";
  const backend = requested === "auto" ? "ort" : requested;
  let engine: unknown = { backend };
  try {
    if (pipeline.engineIdentity) engine = pipeline.engineIdentity(backend);
  } catch (e) {
    issues.add("backend", errorText(e), "backend");
    issues.throwIfAny();
  }
  const context = { seed, engine, root: options.root };
  const instances = makeInstances(calls, context, issues);
  const armOutputs = arms.map((a) =>
    outputKeys(calls, instances.keyOfCall, a.outputs, `arm ${a.assignment.id}`, issues)
  );
  const aggregate = outputKeys(calls, instances.keyOfCall, aggregateOutputs, "aggregate", issues);
  issues.throwIfAny();

  // -- labels and graph -----------------------------------------------------------------------
  const nodes = labelInstances(
    instances.nodes,
    instances.firstLabel,
    arms.map((a) => a.assignment),
  );
  const graph = stageGraph(nodes);
  if (graph === null) {
    issues.add("graph", "the stage graph has a cycle");
    issues.throwIfAny();
  }

  const plan: Omit<Plan, "halving"> = {
    experiment: {
      name: exp.name,
      file,
      profile: profileName,
      seed,
      replicates: replicateCount ?? null,
      backend,
      backendReason: options.backendReason ??
        (requested === "auto" ? "auto: no adapter probe in this caller, using ort" : null),
      description: exp.description ?? null,
      executor: { kind: exp.executor ?? null, slurm: exp.slurm ?? null },
    },
    pipeline: { name: pipeline.name, module: pipeline.module },
    arms: arms.map((a, i) => ({
      id: a.assignment.id,
      values: a.assignment.values,
      group: a.assignment.group,
      replicate: a.assignment.replicate,
      params: a.params,
      outputs: armOutputs[i]!,
    })),
    aggregate,
    nodes,
    graph: graph!,
    engine,
  };
  if (halving === undefined) return { ...plan, halving: null };
  const halvingPart = planHalving({
    halving,
    plan,
    pipeline,
    arms,
    calls,
    keyOfCall: instances.keyOfCall,
    context,
  }, issues);
  issues.throwIfAny();
  return { ...plan, halving: halvingPart };
};

/** Project root: the nearest directory upwards from `start` that holds a deno.json. */
export const findProjectRoot = (start: string): string => {
  let dir = resolve(start);
  for (;;) {
    try {
      fsys.statSync(resolve(dir, "deno.json"));
      return dir;
    } catch {
      const parent = resolve(dir, "..");
      if (parent === dir) return resolve(start);
      dir = parent;
    }
  }
};
