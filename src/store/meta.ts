/**
 * `meta.json`: what an entry says about itself, and the one valibot schema that every read of it
 * goes through.
 *
 * The file is the entry's commit record: it is written into the staging directory last, after the
 * artifact files are hashed, and the whole directory is renamed into place, so an entry without a
 * valid `meta.json` is never a complete one. `schemaVersion` is bumped whenever this layout
 * changes. Version 2 names the hash algorithm beside every digest; version 1 entries (bare
 * `sha256` fields) are still read, as sha256. Any other version reads as corrupt (a miss).
 */
import * as v from "valibot";

/** Bump when the layout of `meta.json` or of an entry changes. */
export const SCHEMA_VERSION = 2;

/** The one digest algorithm entries are written with (its name is stored beside every digest). */
export const HASH_ALGORITHM = "sha256";
export type HashAlgorithm = typeof HASH_ALGORITHM;

/** Any JSON value: the cache-key ingredients of an entry, recorded for `diffrun explain`. */
export type Json = null | boolean | number | string | readonly Json[] | {
  readonly [k: string]: Json;
};

const isJson = (value: unknown): value is Json => {
  if (value === null || typeof value === "boolean" || typeof value === "string") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJson);
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.values(value).every(isJson);
  }
  return false;
};

/** One artifact file: its path relative to `artifact/` (POSIX separators), size and digest. */
export interface FileRecord {
  readonly path: string;
  readonly size: number;
  readonly algorithm: HashAlgorithm;
  /** Hex digest of the file's bytes under `algorithm`. */
  readonly digest: string;
}

/** A digest and the algorithm that produced it. */
export interface Digest {
  readonly algorithm: HashAlgorithm;
  readonly digest: string;
}

/** When the entry's work ran (ISO timestamps) and how long it took. */
export interface Timings {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
}

export interface EntryMeta {
  readonly schemaVersion: typeof SCHEMA_VERSION;
  readonly key: string;
  readonly stage: string;
  readonly version: string;
  /** The cache-key ingredients (any JSON), kept so a user can see why a key is what it is. */
  readonly components: Json;
  /** Input name → key of the upstream entry. */
  readonly inputs: Readonly<Record<string, string>>;
  /** Name of the codec that wrote `artifact/`. */
  readonly codec: string;
  readonly createdAt: string;
  readonly timings: Timings;
  /** Sorted by path. */
  readonly files: readonly FileRecord[];
  /** Sum of the file sizes. */
  readonly sizeBytes: number;
  /** Digest over the sorted (path, size, digest) list; see `checksum.ts`. */
  readonly checksum: Digest;
}

const Hex64 = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits"));
const Timestamp = v.pipe(v.string(), v.isoTimestamp());
const Size = v.pipe(v.number(), v.integer(), v.minValue(0));
const RelativePath = v.pipe(
  v.string(),
  v.check(
    (p) =>
      p !== "" && !p.startsWith("/") && !p.includes("\\") &&
      p.split("/").every((part) => part !== "" && part !== "." && part !== ".."),
    "must be a relative POSIX path inside the artifact",
  ),
);

export const TimingsSchema = v.strictObject({
  startedAt: Timestamp,
  finishedAt: Timestamp,
  durationMs: v.pipe(v.number(), v.minValue(0)),
});

export const EntryMetaSchema = v.strictObject({
  schemaVersion: v.literal(SCHEMA_VERSION),
  key: Hex64,
  stage: v.pipe(v.string(), v.minLength(1)),
  version: v.string(),
  components: v.custom<Json>(isJson, "must be JSON"),
  inputs: v.record(v.string(), Hex64),
  codec: v.pipe(v.string(), v.minLength(1)),
  createdAt: Timestamp,
  timings: TimingsSchema,
  files: v.array(
    v.strictObject({
      path: RelativePath,
      size: Size,
      algorithm: v.literal(HASH_ALGORITHM),
      digest: Hex64,
    }),
  ),
  sizeBytes: Size,
  checksum: v.strictObject({ algorithm: v.literal(HASH_ALGORITHM), digest: Hex64 }),
});

/** Version 1: digests were bare `sha256` fields. Read (as sha256), never written. */
const EntryMetaV1Schema = v.pipe(
  v.strictObject({
    ...EntryMetaSchema.entries,
    schemaVersion: v.literal(1),
    files: v.array(v.strictObject({ path: RelativePath, size: Size, sha256: Hex64 })),
    checksum: Hex64,
  }),
  v.transform((m): EntryMeta => ({
    ...m,
    schemaVersion: SCHEMA_VERSION,
    files: m.files.map((f) => ({
      path: f.path,
      size: f.size,
      algorithm: HASH_ALGORITHM,
      digest: f.sha256,
    })),
    checksum: { algorithm: HASH_ALGORITHM, digest: m.checksum },
  })),
);

/** What a writer supplies (see `WriteInfo` in `entries.ts`); checked before any work is done. */
export const WriteInfoSchema = v.strictObject({
  stage: EntryMetaSchema.entries.stage,
  version: EntryMetaSchema.entries.version,
  components: EntryMetaSchema.entries.components,
  inputs: EntryMetaSchema.entries.inputs,
  codec: EntryMetaSchema.entries.codec,
  timings: v.optional(TimingsSchema),
});

// The schema's output must be exactly the documented type.
const _schemaMatchesType: v.GenericSchema<unknown, EntryMeta> = EntryMetaSchema;

export type DecodedMeta =
  | { readonly ok: true; readonly meta: EntryMeta }
  | { readonly ok: false; readonly reason: string };

/** Parses and validates the text of `meta.json` read from the entry of `key`. */
export const decodeMeta = (text: string, key: string): DecodedMeta => {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `meta.json is not JSON (${e instanceof Error ? e.message : e})` };
  }
  let schema: v.GenericSchema<unknown, EntryMeta> = EntryMetaSchema;
  if (typeof raw === "object" && raw !== null && "schemaVersion" in raw) {
    const found = raw.schemaVersion;
    if (found === 1) schema = EntryMetaV1Schema;
    else if (found !== SCHEMA_VERSION) {
      return {
        ok: false,
        reason: `meta.json has schema version ${found}, expected ${SCHEMA_VERSION}`,
      };
    }
  }
  const checked = v.safeParse(schema, raw);
  if (!checked.success) {
    return { ok: false, reason: `invalid meta.json: ${v.summarize(checked.issues)}` };
  }
  if (checked.output.key !== key) {
    return { ok: false, reason: `meta.json names key ${checked.output.key}` };
  }
  return { ok: true, meta: checked.output };
};

export const encodeMeta = (meta: EntryMeta): string => JSON.stringify(meta, null, 2) + "\n";
