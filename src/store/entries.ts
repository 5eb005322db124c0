/**
 * Committed entries: reading (`lookup`, `verify`, `list`), writing (`write`) and removing.
 *
 * A write happens in a private staging directory under `tmp/` and becomes visible by renaming the
 * whole directory to `entries/<ab>/<key>`, after `meta.json` (with every file's sha256) has been
 * written into it. The rename either happens completely or not at all, so readers only ever see
 * complete entries; if the target already exists another writer won and its entry is kept. A
 * failed, interrupted or killed write leaves at most a staging directory that `gc` collects.
 *
 * Reading `meta.json` is cheap (`lookup`); re-hashing the files is not (`verify`). An entry that
 * fails either check is moved out of sight and reported, so the caller recomputes it. This module
 * knows nothing about locks: the scheduler wraps lookup-or-compute in `withLock`.
 */
import { dirname, join } from "node:path";
import * as Clock from "effect/Clock";
import * as Effect from "effect/Effect";
import * as Equivalence from "effect/Equivalence";
import * as Option from "effect/Option";
import { combinedChecksum, scanArtifact, totalSize } from "./checksum.ts";
import { CorruptEntry, MissingEntry, StoreIoError } from "./errors.ts";
import {
  io,
  listDir,
  mkdirp,
  readText,
  removeAtomically,
  removeTree,
  renameIfExists,
  stat,
  writeText,
} from "./fsio.ts";
import { ARTIFACT_DIR, assertKey, isKey, type Layout, META_FILE } from "./layout.ts";
import * as v from "valibot";
import {
  decodeMeta,
  encodeMeta,
  type EntryMeta,
  type Json,
  SCHEMA_VERSION,
  type Timings,
  WriteInfoSchema,
} from "./meta.ts";

/** What the caller knows about an entry it is about to write; the store adds files and checksums. */
export interface WriteInfo {
  readonly stage: string;
  readonly version: string;
  readonly components: Json;
  readonly inputs: Readonly<Record<string, string>>;
  readonly codec: string;
  /** When the stage's work ran; when absent, the time spent in `writeArtifact` is recorded. */
  readonly timings?: Timings;
}

type MetaState =
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Invalid"; readonly reason: string; readonly text: Option.Option<string> }
  | { readonly _tag: "Ok"; readonly meta: EntryMeta; readonly text: string };

const readMeta = (L: Layout, key: string): Effect.Effect<MetaState, StoreIoError> =>
  Effect.gen(function* () {
    const text = yield* readText(L.metaPath(key));
    if (Option.isNone(text)) {
      const dir = yield* stat(L.entryDir(key));
      return Option.isSome(dir)
        ? { _tag: "Invalid", reason: "meta.json is missing", text }
        : { _tag: "Missing" };
    }
    const decoded = decodeMeta(text.value, key);
    return decoded.ok
      ? { _tag: "Ok", meta: decoded.meta, text: text.value }
      : { _tag: "Invalid", reason: decoded.reason, text };
  });

/**
 * Moves a bad entry out of sight and deletes it. `judged` is the `meta.json` text (or its absence)
 * that was found bad: if the moved entry holds another text, a writer replaced the bad entry
 * between our read and our rename, and the new entry is put back instead.
 */
const discard = (
  L: Layout,
  key: string,
  judged: Option.Option<string>,
): Effect.Effect<void, StoreIoError> =>
  Effect.gen(function* () {
    const aside = L.tmpPath(key, "corrupt");
    if (!(yield* renameIfExists(L.entryDir(key), aside))) return;
    const text = yield* readText(join(aside, META_FILE));
    if (!Option.makeEquivalence(Equivalence.String)(text, judged)) {
      yield* renameIfExists(aside, L.entryDir(key)).pipe(Effect.ignore);
    }
    yield* removeTree(aside);
  });

const warnCorrupt = (key: string, reason: string) =>
  Effect.logWarning(`store: entry ${key} is corrupt (${reason}); removed, it will be recomputed`);

export const lookup =
  (L: Layout) => (key: string): Effect.Effect<Option.Option<EntryMeta>, StoreIoError> =>
    Effect.suspend(() => {
      assertKey(key);
      return readMeta(L, key);
    }).pipe(
      Effect.flatMap((state) => {
        switch (state._tag) {
          case "Ok":
            return Effect.succeed(Option.some(state.meta));
          case "Missing":
            return Effect.succeed(Option.none());
          case "Invalid":
            return warnCorrupt(key, state.reason).pipe(
              Effect.andThen(discard(L, key, state.text)),
              Effect.as(Option.none()),
            );
        }
      }),
    );

/** Differences between the recorded and the actual file lists; empty when they agree. */
const compareFiles = (meta: EntryMeta, actual: readonly EntryMeta["files"][number][]): string[] => {
  const problems: string[] = [];
  const recorded = new Map(meta.files.map((f) => [f.path, f]));
  const found = new Map(actual.map((f) => [f.path, f]));
  for (const [path, want] of recorded) {
    const got = found.get(path);
    if (got === undefined) problems.push(`file ${path} is missing`);
    else if (got.size !== want.size) {
      problems.push(`file ${path} has ${got.size} bytes, expected ${want.size}`);
    } else if (got.sha256 !== want.sha256) {
      problems.push(`file ${path} has sha256 ${got.sha256}, expected ${want.sha256}`);
    }
  }
  for (const path of found.keys()) {
    if (!recorded.has(path)) problems.push(`unexpected file ${path}`);
  }
  if (combinedChecksum(meta.files) !== meta.checksum) {
    problems.push("checksum does not match the file list");
  }
  if (totalSize(meta.files) !== meta.sizeBytes) {
    problems.push("sizeBytes does not match the file list");
  }
  return problems;
};

export const verify =
  (L: Layout) =>
  (key: string): Effect.Effect<EntryMeta, CorruptEntry | MissingEntry | StoreIoError> =>
    Effect.gen(function* () {
      assertKey(key);
      const state = yield* readMeta(L, key);
      if (state._tag === "Missing") return yield* new MissingEntry({ key });
      if (state._tag === "Invalid") {
        yield* discard(L, key, state.text);
        return yield* new CorruptEntry({ key, reason: state.reason });
      }
      const actual = yield* scanArtifact(L.artifactDir(key));
      const problems = compareFiles(state.meta, actual);
      if (problems.length > 0) {
        yield* discard(L, key, Option.some(state.text));
        return yield* new CorruptEntry({ key, reason: problems.join("; ") });
      }
      return state.meta;
    });

const isoNow = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString());

/**
 * Renames the staging directory into place. Uninterruptible: a rename racing the staging cleanup
 * could otherwise publish a half-deleted directory. Returns the winning entry's metadata.
 */
const commit = (L: Layout, key: string, staging: string, ours: EntryMeta) =>
  Effect.uninterruptible(Effect.gen(function* () {
    const target = L.entryDir(key);
    yield* mkdirp(dirname(target));
    for (let attempt = 0;; attempt++) {
      const renamed = yield* io("commit", target, () => Deno.rename(staging, target)).pipe(
        Effect.as(undefined),
        Effect.catch((e) => Effect.succeed(e)),
      );
      if (renamed === undefined) return ours;
      const state = yield* readMeta(L, key);
      if (state._tag === "Ok") {
        yield* Effect.logDebug(
          `store: ${key} was committed by another writer first; keeping theirs`,
        );
        return state.meta;
      }
      // Something was in the way and is gone or bad now: clear it and try once more.
      if (attempt > 0) return yield* renamed;
      if (state._tag === "Invalid") {
        yield* warnCorrupt(key, state.reason);
        yield* discard(L, key, state.text);
      }
    }
  }));

export const write = (L: Layout) =>
<E, R>(
  key: string,
  info: WriteInfo,
  writeArtifact: (artifactDir: string) => Effect.Effect<void, E, R>,
): Effect.Effect<EntryMeta, E | StoreIoError, R> =>
  Effect.suspend(() => {
    assertKey(key);
    const checked = v.safeParse(WriteInfoSchema, info);
    if (!checked.success) {
      // The runner built `info`: a bad one is a bug, and would be read back as a corrupt entry.
      return Effect.die(
        new TypeError(`store: cannot write ${key}: ${v.summarize(checked.issues)}`),
      );
    }
    return writeChecked(L, key, info, writeArtifact);
  });

const writeChecked = <E, R>(
  L: Layout,
  key: string,
  info: WriteInfo,
  writeArtifact: (artifactDir: string) => Effect.Effect<void, E, R>,
): Effect.Effect<EntryMeta, E | StoreIoError, R> =>
  Effect.acquireUseRelease(
    Effect.gen(function* () {
      const staging = L.tmpPath(key, "write");
      yield* mkdirp(join(staging, ARTIFACT_DIR));
      return staging;
    }),
    (staging) =>
      Effect.gen(function* () {
        const artifact = join(staging, ARTIFACT_DIR);
        const startedAt = yield* Clock.currentTimeMillis;
        yield* writeArtifact(artifact);
        const finishedAt = yield* Clock.currentTimeMillis;
        const files = yield* scanArtifact(artifact);
        const meta: EntryMeta = {
          schemaVersion: SCHEMA_VERSION,
          key,
          stage: info.stage,
          version: info.version,
          components: info.components,
          inputs: info.inputs,
          codec: info.codec,
          createdAt: yield* isoNow,
          timings: info.timings ?? {
            startedAt: new Date(startedAt).toISOString(),
            finishedAt: new Date(finishedAt).toISOString(),
            durationMs: finishedAt - startedAt,
          },
          files,
          sizeBytes: totalSize(files),
          checksum: combinedChecksum(files),
        };
        yield* writeText(join(staging, META_FILE), encodeMeta(meta));
        return yield* commit(L, key, staging, meta);
      }),
    // After a commit the staging path is gone and this is a no-op.
    (staging) =>
      removeTree(staging).pipe(
        Effect.catch((e) => Effect.logWarning(`store: could not clean up staging: ${e.message}`)),
      ),
  ).pipe(Effect.withSpan("Store.write", { attributes: { key } }));

/**
 * Every valid entry, sorted by key. Corrupt entries met on the way are removed as in `lookup`,
 * unless `discardCorrupt` is false (then they are only skipped, with a warning).
 */
export const list = (L: Layout, discardCorrupt = true): Effect.Effect<EntryMeta[], StoreIoError> =>
  Effect.gen(function* () {
    const out: EntryMeta[] = [];
    for (const prefix of yield* listDir(L.entriesDir)) {
      if (!prefix.isDirectory) continue;
      for (const entry of yield* listDir(join(L.entriesDir, prefix.name))) {
        const key = entry.name;
        if (!isKey(key) || !key.startsWith(prefix.name)) continue;
        if (discardCorrupt) {
          const meta = yield* lookup(L)(key);
          if (Option.isSome(meta)) out.push(meta.value);
          continue;
        }
        const state = yield* readMeta(L, key);
        if (state._tag === "Ok") out.push(state.meta);
        else if (state._tag === "Invalid") {
          yield* Effect.logWarning(`store: entry ${key} is corrupt (${state.reason})`);
        }
      }
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  });

/** Removes an entry at once (rename aside, then delete); `false` when there was none. */
export const remove = (L: Layout) => (key: string): Effect.Effect<boolean, StoreIoError> =>
  Effect.suspend(() => removeAtomically(L.entryDir(key), L.tmpPath(key, "removed")));
