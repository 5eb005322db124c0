/**
 * Canonical JSON: the one serialisation that feeds hashes.
 *
 * Object keys are sorted, `undefined` members are dropped (as JSON.stringify does), `-0`
 * becomes `0`, and non-finite numbers are rejected because JSON cannot carry them and two
 * different values must never serialise alike. Typed arrays are not accepted: cache keys hash
 * parameters, not data.
 */

export type Json = null | boolean | number | string | readonly Json[] | {
  readonly [k: string]: Json;
};

export class NotCanonicalizable extends Error {
  constructor(readonly path: string, reason: string) {
    super(`cannot canonicalise ${path || "value"}: ${reason}`);
  }
}

const normalise = (value: unknown, path: string): Json => {
  if (value === null) return null;
  switch (typeof value) {
    case "boolean":
    case "string":
      return value;
    case "number":
      if (!Number.isFinite(value)) throw new NotCanonicalizable(path, `non-finite number ${value}`);
      return Object.is(value, -0) ? 0 : value;
    case "bigint":
      throw new NotCanonicalizable(path, "bigint is not JSON");
    case "object": {
      if (Array.isArray(value)) return value.map((v, i) => normalise(v, `${path}[${i}]`));
      if (ArrayBuffer.isView(value)) throw new NotCanonicalizable(path, "typed arrays are data");
      const out: Record<string, Json> = {};
      for (const k of Object.keys(value).sort()) {
        const v = (value as Record<string, unknown>)[k];
        if (v === undefined || typeof v === "function") continue;
        out[k] = normalise(v, path ? `${path}.${k}` : k);
      }
      return out;
    }
    default:
      throw new NotCanonicalizable(path, `${typeof value} is not JSON`);
  }
};

/** Returns the value with sorted keys and normalised numbers (throws NotCanonicalizable). */
export const canonicalize = (value: unknown): Json => normalise(value, "");

/** Canonical JSON text of a value. */
export const canonicalJson = (value: unknown): string => JSON.stringify(canonicalize(value));
