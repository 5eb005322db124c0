/**
 * Reading a pipeline's valibot params schema: which dotted param paths exist, and the
 * nearest known name for a typo, so "unknown param" errors can say "did you mean …".
 */
import * as v from "valibot";

type AnySchema = v.GenericSchema & { readonly type: string };
interface Wrapper {
  readonly wrapped: AnySchema;
}
interface WithEntries {
  readonly entries: Readonly<Record<string, AnySchema>>;
}
interface WithOptions {
  readonly options: readonly AnySchema[];
}

const unwrap = (s: AnySchema): AnySchema => {
  let cur: AnySchema = s;
  // optional / nullable / nullish / exactOptional wrap the real schema in `wrapped`
  while ("wrapped" in cur) cur = (cur as unknown as Wrapper).wrapped;
  return cur;
};

/**
 * The fields an object schema declares; for a union or variant of objects (`weighting`: one
 * object per strategy), the fields of every option together (the first option naming a field wins).
 */
const entriesOf = (s: AnySchema): Readonly<Record<string, AnySchema>> | null => {
  const u = unwrap(s);
  if ("entries" in u) return (u as unknown as WithEntries).entries;
  if (!("options" in u) || !Array.isArray((u as unknown as WithOptions).options)) return null;
  const merged: Record<string, AnySchema> = {};
  let any = false;
  for (const option of (u as unknown as WithOptions).options) {
    const entries = typeof option === "object" && option !== null ? entriesOf(option) : null;
    if (entries === null) continue;
    any = true;
    for (const [k, schema] of Object.entries(entries)) merged[k] ??= schema;
  }
  return any ? merged : null;
};

/** The schema declared at a dotted path, wrappers (optional…) kept; undefined if not declared. */
const schemaAt = (schema: v.GenericSchema, path: string): AnySchema | undefined => {
  let cur: AnySchema | undefined = schema as AnySchema;
  for (const part of path.split(".")) {
    cur = cur === undefined ? undefined : entriesOf(cur)?.[part];
  }
  return cur;
};

/** A JSON object (not an array, not null). */
export const isPlainObject = (x: unknown): x is Record<string, unknown> =>
  x !== null && typeof x === "object" && !Array.isArray(x);

/** The value at a dotted path of plain objects; undefined where the path leaves them. */
export const getPath = (value: unknown, path: string): unknown =>
  path.split(".").reduce<unknown>((v, k) => (isPlainObject(v) ? v[k] : undefined), value);

/**
 * Sets a dotted param path, merging into what is there: an object the params do not spell out
 * yet starts from the schema's default (so `weighting.gamma=3` keeps the default strategy).
 */
export const setParam = (
  schema: v.GenericSchema,
  params: Readonly<Record<string, unknown>>,
  path: string,
  value: unknown,
): Record<string, unknown> => {
  const parts = path.split(".");
  const set = (obj: Readonly<Record<string, unknown>>, i: number): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...obj };
    const key = parts[i]!;
    if (i === parts.length - 1) {
      out[key] = value;
      return out;
    }
    let child = out[key];
    if (child === undefined) {
      const declared = schemaAt(schema, parts.slice(0, i + 1).join("."));
      child = declared === undefined ? undefined : v.getDefault(declared);
      // `weighting.strategy=unweighted`: the default is one variant's object; another variant
      // starts from the default's fields that it declares too (min-snr's gamma is not one)
      if (declared !== undefined && i === parts.length - 2 && isPlainObject(child)) {
        child = switchVariant(declared, child, parts[i + 1]!, value);
      }
    }
    out[key] = set(isPlainObject(child) ? child : {}, i + 1);
    return out;
  };
  return set(params, 0);
};

/** A variant schema's discriminating key and options (`v.variant("strategy", […])`), or null. */
const variantOf = (
  s: AnySchema,
): { readonly key: string; readonly options: readonly AnySchema[] } | null => {
  const u = unwrap(s) as AnySchema & { key?: unknown; options?: unknown };
  return u.type === "variant" && typeof u.key === "string" && Array.isArray(u.options)
    ? { key: u.key, options: u.options as AnySchema[] }
    : null;
};

/**
 * `from` (a default of the variant schema `declared`) with its discriminator `key` set to `value`:
 * when that selects another option, only the fields that option declares are kept.
 */
const switchVariant = (
  declared: AnySchema,
  from: Readonly<Record<string, unknown>>,
  key: string,
  value: unknown,
): Record<string, unknown> => {
  const variant = variantOf(declared);
  if (variant === null || variant.key !== key || from[key] === value) return { ...from };
  const option = variant.options.find((o) => {
    const literal = entriesOf(o)?.[key] as (AnySchema & { literal?: unknown }) | undefined;
    return literal !== undefined && unwrap(literal).type === "literal" &&
      (unwrap(literal) as { literal?: unknown }).literal === value;
  });
  const fields = option === undefined ? null : entriesOf(option);
  if (fields === null || fields === undefined) return { ...from };
  return Object.fromEntries(Object.entries(from).filter(([k]) => k in fields));
};

/**
 * A clearer text for a field that an object of a variant param does not take (valibot says
 * "Invalid key: Expected never …"): which variant is selected, and the whole-object form to use.
 */
export const variantFieldHint = (
  schema: v.GenericSchema,
  params: unknown,
  dotPath: string,
): string | null => {
  const parts = dotPath.split(".");
  if (parts.length < 2) return null;
  const parentPath = parts.slice(0, -1).join(".");
  const declared = schemaAt(schema, parentPath);
  const variant = declared === undefined ? null : variantOf(declared);
  const obj = getPath(params, parentPath);
  if (variant === null || !isPlainObject(obj)) return null;
  const field = parts.at(-1)!;
  const { [field]: _dropped, ...rest } = obj;
  return `"${field}" is not a field of ${parentPath} when ${parentPath}.${variant.key} is ` +
    `${JSON.stringify(obj[variant.key])}; set the whole object, e.g. ` +
    `-p '${parentPath}=${JSON.stringify(rest)}'`;
};

/** Whether the object schema declares the dotted path (null: the schema is not an object). */
export const lookupParam = (
  schema: v.GenericSchema,
  path: string,
): "ok" | { readonly unknownAt: string; readonly known: string[] } => {
  let cur = schema as AnySchema;
  const parts = path.split(".");
  for (let i = 0; i < parts.length; i++) {
    const entries = entriesOf(cur);
    if (entries === null) return "ok"; // a record or free-form value: anything below is data
    const next = entries[parts[i]!];
    if (next === undefined) {
      return { unknownAt: parts.slice(0, i + 1).join("."), known: Object.keys(entries) };
    }
    cur = next;
  }
  return "ok";
};

/** Whether the schema at a dotted path takes an array value (so `-p k=[a,b]` is a value, not an axis). */
export const isArrayParam = (schema: v.GenericSchema, path: string): boolean => {
  let cur = schema as AnySchema;
  for (const part of path.split(".")) {
    const entries = entriesOf(cur);
    const next = entries?.[part];
    if (next === undefined) return false;
    cur = next;
  }
  const u = unwrap(cur);
  return u.type === "array" || u.type === "tuple" || u.type === "strict_tuple" ||
    u.type === "loose_tuple";
};

/** Every leaf path of a plain params object (objects recurse, arrays and scalars are leaves). */
export const leafPaths = (value: unknown, prefix = ""): string[] => {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return prefix ? [prefix] : [];
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return prefix ? [prefix] : [];
  return entries.flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
};

const editDistance = (a: string, b: string): number => {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
};

/** "unknown param …" message with the closest known name when one is close. */
export const unknownParamMessage = (unknownAt: string, known: readonly string[]): string => {
  const leaf = unknownAt.split(".").at(-1)!;
  const best = [...known].sort((a, b) => editDistance(leaf, a) - editDistance(leaf, b))[0];
  const hint = best !== undefined && editDistance(leaf, best) <= Math.max(2, leaf.length / 3)
    ? ` (did you mean "${best}"?)`
    : "";
  return `unknown param "${unknownAt}"${hint}; known: ${known.join(", ")}`;
};
