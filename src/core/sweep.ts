/**
 * Sweeps: grid and seeded random search over pipeline params, and `-p` overrides.
 *
 * An arm is one full assignment of params. Grid axes multiply; a random block draws `samples`
 * assignments from its seeded distributions; grid × random is the cartesian product; `include`
 * adds single arms (e.g. one extra weighting for one target only). Arm ids
 * name only the swept params (`gamma=5,target=eps`), in axis order.
 */
import * as v from "valibot";
import { canonicalJson } from "./canonicalJson.ts";
import { mulberry32 } from "../random/seeded.ts";
import { HalvingSpec } from "./halving.ts";

const distribution = v.union([
  v.strictObject({ uniform: v.tuple([v.number(), v.number()]) }),
  v.strictObject({
    logUniform: v.tuple([v.pipe(v.number(), v.gtValue(0)), v.pipe(v.number(), v.gtValue(0))]),
  }),
  v.strictObject({
    int: v.tuple([v.pipe(v.number(), v.integer()), v.pipe(v.number(), v.integer())]),
  }),
  v.strictObject({ choice: v.pipe(v.array(v.unknown()), v.minLength(1)) }),
]);
export type Distribution = v.InferOutput<typeof distribution>;

export const SweepSpec = v.strictObject({
  grid: v.optional(
    v.record(
      v.string(),
      v.pipe(v.array(v.unknown()), v.minLength(1, "a grid axis needs at least one value")),
    ),
  ),
  random: v.optional(v.strictObject({
    samples: v.pipe(v.number(), v.integer(), v.minValue(1)),
    seed: v.pipe(v.number(), v.integer()),
    space: v.record(v.string(), distribution),
  })),
  /** Extra arms outside the product, each a full assignment of the swept params (a matrix include). */
  include: v.optional(v.array(v.record(v.string(), v.unknown()))),
  /** Successive halving over a budget param (docs/halving.md). */
  halving: v.optional(HalvingSpec),
});
export type SweepSpec = v.InferOutput<typeof SweepSpec>;

export interface ArmAssignment {
  readonly id: string;
  /** Dotted param path -> value, for the swept params only. */
  readonly values: Readonly<Record<string, unknown>>;
}

const draw = (d: Distribution, rand: () => number): unknown => {
  if ("uniform" in d) return d.uniform[0] + rand() * (d.uniform[1] - d.uniform[0]);
  if ("logUniform" in d) {
    const [lo, hi] = d.logUniform;
    return Math.exp(Math.log(lo) + rand() * (Math.log(hi) - Math.log(lo)));
  }
  if ("int" in d) return d.int[0] + Math.floor(rand() * (d.int[1] - d.int[0] + 1));
  return d.choice[Math.floor(rand() * d.choice.length)];
};

/** A short readable form for arm ids: objects show their values (`min-snr-5`), in key order. */
export const formatValue = (value: unknown): string =>
  typeof value === "string"
    ? value
    : typeof value === "number"
    ? String(Number(value.toPrecision(6)))
    : value !== null && typeof value === "object" && !Array.isArray(value)
    ? Object.values(value).map(formatValue).join("-")
    : canonicalJson(value);

export const armId = (values: Readonly<Record<string, unknown>>): string => {
  const keys = Object.keys(values);
  return keys.length === 0
    ? "default"
    : keys.map((k) => `${k}=${formatValue(values[k])}`).join(",");
};

/** Every arm of a sweep, de-duplicated by assignment (a repeated grid value is one arm). */
export const expandSweep = (spec: SweepSpec | undefined): ArmAssignment[] => {
  let assignments: Record<string, unknown>[] = [{}];
  for (const [axis, values] of Object.entries(spec?.grid ?? {})) {
    assignments = assignments.flatMap((a) => values.map((value) => ({ ...a, [axis]: value })));
  }
  if (spec?.random) {
    const rand = mulberry32(spec.random.seed);
    const samples = Array.from({ length: spec.random.samples }, () => {
      const s: Record<string, unknown> = {};
      for (const [name, d] of Object.entries(spec.random!.space)) s[name] = draw(d, rand);
      return s;
    });
    assignments = assignments.flatMap((a) => samples.map((s) => ({ ...a, ...s })));
  }
  for (const extra of spec?.include ?? []) assignments.push({ ...extra });
  const seen = new Set<string>();
  const ids = new Set<string>();
  const arms: ArmAssignment[] = [];
  for (const values of assignments) {
    const fingerprint = canonicalJson(values);
    if (seen.has(fingerprint)) continue;
    seen.add(fingerprint);
    // the short form can collide ({a: 1, b: 2} and {a: "1-2"}): then the id spells out JSON
    let id = armId(values);
    if (ids.has(id)) id = fingerprint;
    ids.add(id);
    arms.push({ id, values });
  }
  return arms;
};

/** The param names a sweep assigns. */
export const sweptParams = (spec: SweepSpec | undefined): string[] => [
  ...new Set([
    ...Object.keys(spec?.grid ?? {}),
    ...Object.keys(spec?.random?.space ?? {}),
    ...(spec?.include ?? []).flatMap((x) => Object.keys(x)),
  ]),
];

// ---------------------------------------------------------------------------------------------
// `-p name=value` overrides. A value is JSON when it parses as JSON (numbers, booleans, null,
// quoted strings, objects), else a plain string. `name=[a,b]` is a grid axis (Hydra's multirun).

const parseScalar = (text: string): unknown => {
  const t = text.trim();
  try {
    return JSON.parse(t);
  } catch {
    return t;
  }
};

/** Splits `a,b,[c,d]` at top-level commas. */
const splitTopLevel = (text: string): string[] => {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "[" || c === "{") depth++;
    else if (c === "]" || c === "}") depth--;
    else if (c === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
};

export type Override =
  | { readonly kind: "set"; readonly path: string; readonly value: unknown }
  | { readonly kind: "axis"; readonly path: string; readonly values: readonly unknown[] };

/** Parses one `-p` argument; returns an error message naming the problem instead of throwing. */
export const parseOverride = (arg: string): Override | string => {
  const eq = arg.indexOf("=");
  if (eq <= 0) return `-p "${arg}": expected name=value`;
  const path = arg.slice(0, eq).trim();
  if (!/^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$/.test(path)) {
    return `-p "${arg}": "${path}" is not a param name`;
  }
  const raw = arg.slice(eq + 1).trim();
  if (raw.startsWith("[") && raw.endsWith("]")) {
    try {
      const parsed = JSON.parse(raw);
      if (Array.isArray(parsed)) {
        return parsed.length === 0
          ? `-p "${arg}": empty list`
          : { kind: "axis", path, values: parsed };
      }
    } catch {
      // not JSON: a bare list like [const,min-snr]
    }
    const inner = raw.slice(1, -1).trim();
    if (inner === "") return `-p "${arg}": empty list`;
    return { kind: "axis", path, values: splitTopLevel(inner).map(parseScalar) };
  }
  return { kind: "set", path, value: parseScalar(raw) };
};

/** Sets a dotted path in a plain object, creating objects on the way (returns a new object). */
export const setPath = (
  obj: Readonly<Record<string, unknown>>,
  path: string,
  value: unknown,
): Record<string, unknown> => {
  const [head, ...rest] = path.split(".");
  const out: Record<string, unknown> = { ...obj };
  if (rest.length === 0) out[head!] = value;
  else {
    const child = out[head!];
    out[head!] = setPath(
      child !== null && typeof child === "object" ? child as Record<string, unknown> : {},
      rest.join("."),
      value,
    );
  }
  return out;
};

/** Deep merge of plain objects; arrays and scalars from `over` replace. */
export const deepMerge = (
  base: Readonly<Record<string, unknown>>,
  over: Readonly<Record<string, unknown>>,
): Record<string, unknown> => {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v2] of Object.entries(over)) {
    const b = out[k];
    const isObj = (x: unknown): x is Record<string, unknown> =>
      x !== null && typeof x === "object" && !Array.isArray(x);
    out[k] = isObj(b) && isObj(v2) ? deepMerge(b, v2) : v2;
  }
  return out;
};
