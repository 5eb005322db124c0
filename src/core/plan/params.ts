/**
 * Planning, first phase: the experiment, its profile and the `-p` overrides become the base
 * params and the sweep the arms are drawn from (docs/cli.md#overrides).
 *
 * The override rule: `-p a=v` pins `a` and `-p 'a=[v1,v2]'` makes `a` an axis; either replaces
 * every sweep axis named `a` or lying inside it (`a.b`). An override inside an axis the sweep
 * assigns whole (`-p a.b=v` while `a` is swept) is an error: the swept value would replace it.
 */
import type { AnyExperimentDef } from "../experiment.ts";
import type { AnyPipelineDef } from "../pipeline.ts";
import {
  deepMerge,
  type Override,
  parseOverride,
  setPath,
  type SweepSpec,
  sweptParams,
} from "../sweep.ts";
import {
  getPath,
  isArrayParam,
  isPlainObject,
  leafPaths,
  lookupParam,
  setParam,
  unknownParamMessage,
} from "../paramSchema.ts";
import type { Issues } from "./issues.ts";
import { replicateIssues, takeReplicatesOverride } from "../replicates.ts";
import { takeHalvingOverrides } from "../halving.ts";
import { type ResolvedHalving, resolveHalving } from "./halvingOption.ts";

/** The most arms a sweep may have unless `maxArms` (`--max-arms`) says otherwise. */
export const MAX_ARMS = 100_000;

export interface ResolvedParams {
  readonly profileName: string | null;
  /** Experiment params, then profile params, then `-p` values (not yet validated). */
  readonly base: Record<string, unknown>;
  readonly sweep: SweepSpec | undefined;
  /** Seeds per arm: `--replicates`/`-p replicates=n`, else the profile's, else the experiment's. */
  readonly replicateCount: number | undefined;
  /** Successive halving with its budget param resolved (docs/halving.md); undefined: none. */
  readonly halving: ResolvedHalving | undefined;
}

interface ParsedOverride {
  readonly raw: string;
  readonly override: Override;
}

/** Every phase-one problem is added to `issues`; the caller throws them. */
export const resolveParams = (
  exp: AnyExperimentDef,
  options: { readonly profile?: string | undefined; readonly overrides?: readonly string[] },
  issues: Issues,
): ResolvedParams => {
  const pipeline = exp.pipeline;
  // -- profile ------------------------------------------------------------------------------
  const profileName = options.profile ?? exp.defaultProfile ?? null;
  const profile = profileName === null ? undefined : exp.profiles?.[profileName];
  if (profileName !== null && profile === undefined) {
    const known = Object.keys(exp.profiles ?? {});
    issues.add(
      "profiles",
      `unknown profile "${profileName}"; known: ${known.length ? known.join(", ") : "(none)"}`,
    );
  }
  // -- overrides ----------------------------------------------------------------------------
  const replicates = takeReplicatesOverride(options.overrides ?? []);
  if (replicates.error) issues.add("command line", replicates.error, "replicates");
  const replicateCount = replicates.count ?? profile?.replicates ?? exp.replicates;
  const halvingOverrides = takeHalvingOverrides(replicates.rest);
  for (const e of halvingOverrides.errors) issues.add("command line", e, "halving");
  const parsed = parseOverrides(pipeline, halvingOverrides.rest, issues);
  const overrides = parsed.map((p) => p.override);
  let base = deepMerge(
    (exp.params ?? {}) as Record<string, unknown>,
    (profile?.params ?? {}) as Record<string, unknown>,
  );
  for (const o of overrides) {
    if (o.kind === "set") base = setParam(pipeline.params, base, o.path, o.value);
  }
  const declared = profile?.sweep ?? exp.sweep;
  checkOverridesInsideAxes(pipeline, declared, parsed, issues);
  const resolved = resolveSweep(declared, overrides);
  const halving = resolveHalving(pipeline, declared?.halving, halvingOverrides, resolved, issues);
  const { halving: _declaredHalving, ...axes } = resolved ?? {};
  const sweep = resolved === undefined ? undefined : axes;
  checkParamNames(pipeline, base, sweep, issues);
  for (
    const i of replicateIssues({ pipeline, count: replicateCount, params: base, sweep, overrides })
  ) {
    issues.add(i.where, i.message, i.field);
  }
  return { profileName, base, sweep, replicateCount, halving };
};

const parseOverrides = (
  pipeline: AnyPipelineDef,
  raws: readonly string[],
  issues: Issues,
): ParsedOverride[] => {
  const out: ParsedOverride[] = [];
  for (const raw of raws) {
    const o = parseOverride(raw);
    if (typeof o === "string") issues.add("command line", o);
    else if (
      o.kind === "axis" && isArrayParam(pipeline.params, o.path) && !o.values.every(Array.isArray)
    ) {
      // an array-valued param: `widths=[8,16]` is one value; `widths=[[8,16],[16,32]]` sweeps
      out.push({ raw, override: { kind: "set", path: o.path, value: o.values } });
    } else out.push({ raw, override: o });
  }
  return out;
};

/** Which parts of a sweep assign an axis, and the whole values they give it. */
const axisSources = (sweep: SweepSpec, axis: string) => {
  const sources: string[] = [];
  const values: unknown[] = [];
  if (sweep.grid?.[axis]) {
    sources.push("grid");
    values.push(...sweep.grid[axis]!);
  }
  const d = sweep.random?.space[axis];
  if (d) {
    sources.push("random space");
    if ("choice" in d) values.push(...d.choice);
  }
  const included = (sweep.include ?? []).filter((arm) => axis in arm);
  if (included.length > 0) {
    sources.push("include");
    values.push(...included.map((arm) => arm[axis]));
  }
  return { sources, values };
};

/** `-p a.b=v` while the sweep assigns `a` whole: an error saying how to override the axis. */
const checkOverridesInsideAxes = (
  pipeline: AnyPipelineDef,
  sweep: SweepSpec | undefined,
  overrides: readonly ParsedOverride[],
  issues: Issues,
) => {
  if (sweep === undefined) return;
  for (const { raw, override: o } of overrides) {
    // an unknown name is reported as such (with its near match), not as a clash
    if (lookupParam(pipeline.params, o.path) !== "ok") continue;
    for (const axis of sweptParams(sweep)) {
      if (!o.path.startsWith(`${axis}.`)) continue;
      const { sources, values } = axisSources(sweep, axis);
      const inner = o.path.slice(axis.length + 1);
      const objects = values.filter(isPlainObject);
      const template = objects.find((x) => getPath(x, inner) !== undefined) ?? objects[0];
      const wanted = o.kind === "set" ? [o.value] : o.values;
      const example = template === undefined
        ? `-p '${axis}=[…]'`
        : `-p '${axis}=[${
          wanted.map((w) => JSON.stringify(setPath(template, inner, w))).join(",")
        }]'`;
      issues.add(
        "command line",
        `-p ${raw} sets a field inside "${axis}", which the sweep (${
          sources.join(", ")
        }) assigns whole, so the swept value would replace it; override the whole axis instead, e.g. ${example}`,
        o.path,
      );
    }
  }
};

/** `axis` is `path` or lies inside it. */
const covers = (path: string, axis: string) => axis === path || axis.startsWith(`${path}.`);

/**
 * The sweep after the overrides: an override of a param removes every axis at or inside it
 * (grid, random space, include); an axis override then adds its own grid axis.
 */
export const resolveSweep = (
  base: SweepSpec | undefined,
  overrides: readonly Override[],
): SweepSpec | undefined => {
  const grid: Record<string, unknown[]> = { ...(base?.grid ?? {}) };
  const space = { ...(base?.random?.space ?? {}) };
  for (const o of overrides) {
    for (const axis of Object.keys(grid)) if (covers(o.path, axis)) delete grid[axis];
    for (const axis of Object.keys(space)) if (covers(o.path, axis)) delete space[axis];
    if (o.kind === "axis") grid[o.path] = [...o.values];
  }
  const random = base?.random && Object.keys(space).length > 0
    ? { ...base.random, space }
    : undefined;
  // an override of a param pins it in the included arms too
  const include = (base?.include ?? []).map((arm) => {
    const copy = { ...arm };
    for (const o of overrides) {
      for (const axis of Object.keys(copy)) if (covers(o.path, axis)) delete copy[axis];
    }
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

/** Every param name the base and the sweep use is declared by the pipeline. */
const checkParamNames = (
  pipeline: AnyPipelineDef,
  base: Record<string, unknown>,
  sweep: SweepSpec | undefined,
  issues: Issues,
) => {
  const checkName = (path: string, where: string) => {
    const found = lookupParam(pipeline.params, path);
    if (found !== "ok") issues.add(where, unknownParamMessage(found.unknownAt, found.known), path);
  };
  for (const path of leafPaths(base)) checkName(path, "params");
  for (const path of Object.keys(sweep?.grid ?? {})) checkName(path, "sweep.grid");
  for (const path of Object.keys(sweep?.random?.space ?? {})) checkName(path, "sweep.random");
  for (const path of new Set((sweep?.include ?? []).flatMap((x) => Object.keys(x)))) {
    checkName(path, "sweep.include");
  }
};

const thousands = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");

/**
 * How many arms a sweep expands to at most (before identical arms merge), computed without
 * expanding it: the grid product, times the random samples, plus the included arms.
 */
export const countArms = (sweep: SweepSpec | undefined): number => {
  const product = Object.values(sweep?.grid ?? {}).reduce((n, values) => n * values.length, 1);
  return product * (sweep?.random?.samples ?? 1) + (sweep?.include?.length ?? 0);
};

/** A sweep above the limit is refused before it is expanded (a million arms exhaust memory). */
export const checkArmCount = (
  sweep: SweepSpec | undefined,
  limit: number,
  issues: Issues,
  replicates = 1,
) => {
  const count = countArms(sweep) * replicates;
  if (count <= limit) return;
  const parts: string[] = [];
  const axes = Object.entries(sweep?.grid ?? {});
  if (axes.length > 0) {
    parts.push(`grid ${axes.map(([axis, values]) => `${values.length} (${axis})`).join(" × ")}`);
  }
  if (sweep?.random) parts.push(`× ${thousands(sweep.random.samples)} random samples`);
  if (sweep?.include?.length) parts.push(`+ ${thousands(sweep.include.length)} included`);
  if (replicates > 1) parts.push(`× ${thousands(replicates)} replicates`);
  issues.add(
    "sweep",
    `the sweep has ${thousands(count)} arms (${parts.join(" ")}), above the limit of ${
      thousands(limit)
    }; narrow the sweep, or raise the limit with --max-arms`,
  );
};
