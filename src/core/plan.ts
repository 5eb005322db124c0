/**
 * Planning: an experiment (with profile and `-p` overrides) becomes one de-duplicated DAG of
 * stage instances, each with its cache key, or a PlanError listing every problem found.
 *
 * Planning is pure with respect to the store: it reads source files (for code hashes) and
 * nothing else, so a plan that fails has touched nothing.
 */
import * as v from "valibot";
import * as Graph from "effect/Graph";
import { resolve } from "node:path";
import type { PlanIssue } from "./errors.ts";
import { PlanError } from "./errors.ts";
import type { AnyExperimentDef } from "./experiment.ts";
import { type ArmOutputs, type ArmView, recordingBuilder, type StageCall } from "./pipeline.ts";
import type { AnyStageDef } from "./stage.ts";
import {
  type ArmAssignment,
  deepMerge,
  expandSweep,
  type Override,
  parseOverride,
  setPath,
  type SweepSpec,
} from "./sweep.ts";
import { sourceHash } from "./sourceHash.ts";
import { cacheKey, deriveSeed, type KeyComponents, makeKeyComponents } from "./cacheKey.ts";
import { isArrayParam, leafPaths, lookupParam, unknownParamMessage } from "./paramSchema.ts";
import { NotCanonicalizable } from "./canonicalJson.ts";

export interface PlanOptions {
  /** The experiment file, for messages and the manifest. */
  readonly file: string;
  readonly profile?: string | undefined;
  /** Raw `-p` arguments. */
  readonly overrides?: readonly string[];
  readonly backend?: string | undefined;
  /** Why that backend (e.g. what `auto` found); recorded in the plan and the manifest. */
  readonly backendReason?: string | undefined;
  /** Project root: code hashes use paths relative to it. */
  readonly root: string;
}

export interface PlanNode {
  readonly key: string;
  readonly def: AnyStageDef;
  readonly params: unknown;
  /** Input name -> upstream key. */
  readonly inputs: Readonly<Record<string, string>>;
  readonly seed: number;
  readonly components: KeyComponents;
  /** Ids of the arms that use this instance (empty for aggregate-only stages). */
  readonly arms: readonly string[];
  readonly aggregate: boolean;
  readonly label: string;
}

export interface ArmPlan {
  readonly id: string;
  /** The swept values only. */
  readonly values: Readonly<Record<string, unknown>>;
  /** Fully resolved and validated params. */
  readonly params: unknown;
  /** Output name -> key. */
  readonly outputs: Readonly<Record<string, string>>;
}

export interface Plan {
  readonly experiment: {
    readonly name: string;
    readonly file: string;
    readonly profile: string | null;
    readonly seed: number;
    readonly backend: string;
    readonly backendReason: string | null;
    readonly description: string | null;
  };
  readonly pipeline: { readonly name: string; readonly module: string };
  readonly arms: readonly ArmPlan[];
  /** Output name -> key of the aggregate stages. */
  readonly aggregate: Readonly<Record<string, string>>;
  /** Every instance once, in a topological order (inputs before users). */
  readonly nodes: ReadonlyMap<string, PlanNode>;
  readonly graph: Graph.DirectedGraph<PlanNode, string>;
  readonly engine: unknown;
}

/** Thrown by a pipeline's `build` to reject an invalid combination of params with a message. */
export class InvalidCombination extends Error {
  constructor(readonly field: string | undefined, message: string) {
    super(message);
  }
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Resolves the sweep after profile and axis overrides; a `set` override pins a swept param. */
const resolveSweep = (
  base: SweepSpec | undefined,
  overrides: readonly Override[],
): SweepSpec | undefined => {
  const grid: Record<string, unknown[]> = { ...(base?.grid ?? {}) };
  const space = { ...(base?.random?.space ?? {}) };
  for (const o of overrides) {
    delete grid[o.path];
    delete space[o.path];
    if (o.kind === "axis") grid[o.path] = [...o.values];
  }
  const random = base?.random && Object.keys(space).length > 0
    ? { ...base.random, space }
    : undefined;
  // an override of a param pins it in the included arms too
  const include = (base?.include ?? []).map((arm) => {
    const copy = { ...arm };
    for (const o of overrides) delete copy[o.path];
    return copy;
  }).filter((arm) => Object.keys(arm).length > 0);
  if (Object.keys(grid).length === 0 && random === undefined && include.length === 0) {
    return undefined;
  }
  return {
    ...(Object.keys(grid).length > 0 ? { grid } : {}),
    ...(random ? { random } : {}),
    ...(include.length > 0 ? { include } : {}),
  };
};

export const planExperiment = (exp: AnyExperimentDef, options: PlanOptions): Plan => {
  const file = options.file;
  const issues: PlanIssue[] = [];
  const issue = (where: string, message: string, field?: string) => {
    const i: PlanIssue = field === undefined
      ? { file, where, message }
      : { file, where, field, message };
    if (
      !issues.some((x) => x.where === i.where && x.field === i.field && x.message === i.message)
    ) issues.push(i);
  };
  const pipeline = exp.pipeline;

  // -- profile ------------------------------------------------------------------------------
  const profileName = options.profile ?? exp.defaultProfile ?? null;
  const profile = profileName === null ? undefined : exp.profiles?.[profileName];
  if (profileName !== null && profile === undefined) {
    const known = Object.keys(exp.profiles ?? {});
    issue(
      "profiles",
      `unknown profile "${profileName}"; known: ${known.length ? known.join(", ") : "(none)"}`,
    );
  }

  // -- overrides ----------------------------------------------------------------------------
  const overrides: Override[] = [];
  for (const raw of options.overrides ?? []) {
    const o = parseOverride(raw);
    if (typeof o === "string") issue("command line", o);
    else if (
      o.kind === "axis" && isArrayParam(pipeline.params, o.path) && !o.values.every(Array.isArray)
    ) {
      // an array-valued param: `widths=[8,16]` is one value; `widths=[[8,16],[16,32]]` sweeps
      overrides.push({ kind: "set", path: o.path, value: o.values });
    } else overrides.push(o);
  }
  let base = deepMerge(
    (exp.params ?? {}) as Record<string, unknown>,
    (profile?.params ?? {}) as Record<string, unknown>,
  );
  for (const o of overrides) if (o.kind === "set") base = setPath(base, o.path, o.value);
  const sweep = resolveSweep(profile?.sweep ?? exp.sweep, overrides);

  // -- param names (before any arm is built) --------------------------------------------------
  const checkName = (path: string, where: string) => {
    const found = lookupParam(pipeline.params, path);
    if (found !== "ok") issue(where, unknownParamMessage(found.unknownAt, found.known), path);
  };
  for (const path of leafPaths(base)) checkName(path, "params");
  for (const path of Object.keys(sweep?.grid ?? {})) checkName(path, "sweep.grid");
  for (const path of Object.keys(sweep?.random?.space ?? {})) checkName(path, "sweep.random");
  for (const path of new Set((sweep?.include ?? []).flatMap((x) => Object.keys(x)))) {
    checkName(path, "sweep.include");
  }
  if (issues.length > 0) throw new PlanError({ issues });

  // -- arms -----------------------------------------------------------------------------------
  const assignments: ArmAssignment[] = expandSweep(sweep);
  const calls: StageCall[] = [];
  const arms: { assignment: ArmAssignment; params: unknown; outputs: ArmOutputs }[] = [];
  for (const assignment of assignments) {
    let raw = base;
    for (const [path, value] of Object.entries(assignment.values)) raw = setPath(raw, path, value);
    const parsed = v.safeParse(pipeline.params, raw);
    if (!parsed.success) {
      for (const i of parsed.issues) {
        const where = assignments.length > 1 && Object.keys(assignment.values).some((k) =>
            v.getDotPath(i)?.startsWith(k)
          )
          ? `arm ${assignment.id}`
          : "params";
        issue(where, i.message, v.getDotPath(i) ?? undefined);
      }
      continue;
    }
    try {
      const outputs = pipeline.build(parsed.output, recordingBuilder(calls, assignment.id));
      arms.push({ assignment, params: parsed.output, outputs });
    } catch (e) {
      issue(
        `arm ${assignment.id}`,
        errorText(e),
        e instanceof InvalidCombination ? e.field : undefined,
      );
    }
  }
  let aggregateOutputs: ArmOutputs = {};
  if (pipeline.aggregate && issues.length === 0) {
    const views: ArmView<unknown>[] = arms.map((a) => ({
      id: a.assignment.id,
      params: a.params,
      outputs: a.outputs,
    }));
    try {
      aggregateOutputs = pipeline.aggregate(views, recordingBuilder(calls, null));
    } catch (e) {
      issue("aggregate", errorText(e), e instanceof InvalidCombination ? e.field : undefined);
    }
  }
  if (issues.length > 0) throw new PlanError({ issues: collapseArms(issues) });

  // -- stage instances and keys ---------------------------------------------------------------
  const seed = exp.seed ?? 0;
  // `auto` is resolved before planning (runner.ts loadAndPlan); a direct caller's `auto` is ort
  const requested = options.backend ?? exp.backend ?? "ort";
  const backend = requested === "auto" ? "ort" : requested;
  let engine: unknown = { backend };
  try {
    if (pipeline.engineIdentity) engine = pipeline.engineIdentity(backend);
  } catch (e) {
    throw new PlanError({
      issues: [{ file, where: "backend", field: "backend", message: errorText(e) }],
    });
  }
  const keyOfCall = new Map<number, string>();
  const firstLabel = new Map<string, string | undefined>();
  const nodes = new Map<
    string,
    { node: Omit<PlanNode, "label" | "arms"> & { arms: Set<string> } }
  >();
  for (const call of calls) {
    const where = `stage "${call.def.name}"${
      call.arm === null ? " (aggregate)" : ` in arm ${call.arm}`
    }`;
    const parsed = v.safeParse(call.def.params, call.params);
    if (!parsed.success) {
      for (const i of parsed.issues) issue(where, i.message, v.getDotPath(i) ?? undefined);
      continue;
    }
    const given = Object.keys(call.inputs);
    const declared = new Set<string>(call.def.inputs === "any" ? given : call.def.inputs);
    for (const name of declared) {
      if (!given.includes(name)) issue(where, `missing input "${name}"`, name);
    }
    for (const name of given) {
      if (!declared.has(name)) {
        issue(
          where,
          `unknown input "${name}" (declared: ${[...declared].join(", ") || "none"})`,
          name,
        );
      }
    }
    const inputs: Record<string, string> = {};
    let upstreamBroken = false;
    for (const [name, id] of Object.entries(call.inputs)) {
      const k = keyOfCall.get(id);
      if (k === undefined) upstreamBroken = true;
      else inputs[name] = k;
    }
    if (
      upstreamBroken || given.some((n) => !declared.has(n)) ||
      [...declared].some((n) => !given.includes(n))
    ) continue;
    let code: string;
    try {
      code = sourceHash(call.def.module, options.root).hash;
    } catch (e) {
      issue(where, `cannot hash the stage's source ${call.def.module}: ${errorText(e)}`);
      continue;
    }
    let components: KeyComponents;
    let stageSeed: number;
    try {
      stageSeed = deriveSeed(seed, { name: call.def.name, params: parsed.output, inputs });
      components = makeKeyComponents({
        name: call.def.name,
        version: call.def.version,
        code,
        params: parsed.output,
        inputs,
        seed: call.def.seeded === false ? null : stageSeed,
        engine: call.def.engineSensitive ? engine : null,
      });
    } catch (e) {
      issue(
        where,
        e instanceof NotCanonicalizable ? e.message : errorText(e),
        e instanceof NotCanonicalizable ? e.path : undefined,
      );
      continue;
    }
    const key = cacheKey(components);
    keyOfCall.set(call.nodeId, key);
    if (!firstLabel.has(key)) firstLabel.set(key, call.label);
    const existing = nodes.get(key);
    if (existing) {
      if (call.arm !== null) existing.node.arms.add(call.arm);
      continue;
    }
    nodes.set(key, {
      node: {
        key,
        def: call.def,
        params: parsed.output,
        inputs,
        seed: stageSeed,
        components,
        arms: new Set(call.arm === null ? [] : [call.arm]),
        aggregate: call.arm === null,
      },
    });
  }
  if (issues.length > 0) throw new PlanError({ issues });

  // -- labels: the stage name, qualified by the swept values its arms share --------------------
  const armValues = new Map(arms.map((a) => [a.assignment.id, a.assignment.values]));
  const labelOf = (name: string, armIds: ReadonlySet<string>): string => {
    if (armIds.size === 0 || armIds.size === arms.length) return name;
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
  const finalNodes = new Map<string, PlanNode>();
  const used = new Map<string, number>();
  for (const { node } of nodes.values()) {
    const callLabel = firstLabel.get(node.key);
    let label = labelOf(callLabel ? `${node.def.name}:${callLabel}` : node.def.name, node.arms);
    const n = used.get(label) ?? 0;
    used.set(label, n + 1);
    if (n > 0) label = `${label}#${node.key.slice(0, 6)}`;
    finalNodes.set(node.key, { ...node, arms: [...node.arms], label });
  }

  const graph = Graph.directed<PlanNode, string>((g) => {
    const index = new Map<string, number>();
    for (const node of finalNodes.values()) index.set(node.key, Graph.addNode(g, node));
    for (const node of finalNodes.values()) {
      for (const [name, upstream] of Object.entries(node.inputs)) {
        Graph.addEdge(g, index.get(upstream)!, index.get(node.key)!, name);
      }
    }
  });
  if (!Graph.isAcyclic(graph)) {
    throw new PlanError({
      issues: [{ file, where: "graph", message: "the stage graph has a cycle" }],
    });
  }

  const outputKeys = (outputs: ArmOutputs) =>
    Object.fromEntries(Object.entries(outputs).map(([n, h]) => [n, keyOfCall.get(h.nodeId)!]));
  return {
    experiment: {
      name: exp.name,
      file,
      profile: profileName,
      seed,
      backend,
      backendReason: options.backendReason ??
        (requested === "auto" ? "auto: no adapter probe in this caller, using ort" : null),
      description: exp.description ?? null,
    },
    pipeline: { name: pipeline.name, module: pipeline.module },
    arms: arms.map((a) => ({
      id: a.assignment.id,
      values: a.assignment.values,
      params: a.params,
      outputs: outputKeys(a.outputs),
    })),
    aggregate: outputKeys(aggregateOutputs),
    nodes: finalNodes,
    graph,
    engine,
  };
};

/** The same problem in several arms (a missing dataset, say) is reported once, naming how many. */
const collapseArms = (issues: readonly PlanIssue[]): PlanIssue[] => {
  const out: PlanIssue[] = [];
  const seen = new Map<string, { index: number; arms: number; first: string }>();
  for (const i of issues) {
    const key = `${i.field ?? ""}\n${i.message}`;
    const prev = seen.get(key);
    if (i.where.startsWith("arm ") && prev) {
      prev.arms++;
      out[prev.index] = { ...out[prev.index]!, where: `${prev.arms} arms (${prev.first}, …)` };
      continue;
    }
    if (i.where.startsWith("arm ")) {
      seen.set(key, { index: out.length, arms: 1, first: i.where.slice(4) });
    }
    out.push(i);
  }
  return out;
};

/** Project root: the nearest directory upwards from `start` that holds a deno.json. */
export const findProjectRoot = (start: string): string => {
  let dir = resolve(start);
  for (;;) {
    try {
      Deno.statSync(resolve(dir, "deno.json"));
      return dir;
    } catch {
      const parent = resolve(dir, "..");
      if (parent === dir) return resolve(start);
      dir = parent;
    }
  }
};
