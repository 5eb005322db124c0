/**
 * Committed entries: reading (`lookup`, `verify`, `list`), writing (`write`) and removing.
 *
 * A write happens in a private staging directory under `tmp/` and becomes visible by renaming the
 * whole directory to `entries/<ab>/<key>`, after `meta.json` (with every file's sha256) has been
 * written into it. The rename either happens completely or not at all, so readers only ever see
 * complete entries; if the target already exists another writer won and its entry is kept. A
 * failed, interrupted or killed write leaves at most a staging directory that `gc` collects.
 *
 * Every read checks the artifact against `meta.json` (`integrity.ts`): `lookup`, on every reuse,
 * compares the file list and sizes and re-hashes the files whose stat stamp changed; `verify`
 * re-hashes everything. An entry that fails is reported (a warning naming the key and the file),
 * moved out of sight and deleted, so the caller recomputes it; never used. Before judging, the
 * metadata is read a second time: a writer committing (or a reader discarding) the same key at
 * that moment explains what looked wrong. This module knows nothing about locks: the scheduler
 * wraps lookup-or-compute in `withLock`.
 */
import { dirname, join } from "node:path";
import * as Clock from "effect/Clock";
import * as Effect from "effect/Effect";
import * as Equivalence from "effect/Equivalence";
import * as Option from "effect/Option";
import { combinedChecksum, listTree, scanArtifact, totalSize } from "./checksum.ts";
import { checkArtifact, type CheckDepth } from "./integrity.ts";
import { killPoint } from "./killPoint.ts";
import { currentStamps, encodeStamps, pinTimes, STAMPS_FILE } from "./stamps.ts";
import { CorruptEntry, MissingEntry, StoreIoError } from "./errors.ts";
import {
  io,
  listDir,
  mkdirp,
  readText,
  readTextSync,
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
import * as fsys from "../platform/fs.ts";

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
    const text = yield* readTextSync(L.metaPath(key));
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

/**
 * The entry of `key` if it is complete and checks out at `depth`; a bad one is `Corrupt` and,
 * when `discardBad` (every read path), reported and removed. A problem is only believed after a
 * second read of `meta.json` (see the header).
 */
export const checkEntry = (
  L: Layout,
  key: string,
  depth: CheckDepth,
  discardBad = true,
): Effect.Effect<Checked, StoreIoError> =>
  Effect.gen(function* () {
    assertKey(key);
    let judged: Option.Option<string> = Option.none();
    for (let attempt = 0;; attempt++) {
      const state = yield* readMeta(L, key);
      if (state._tag === "Missing") return { _tag: "Missing" };
      const text = state._tag === "Ok" ? Option.some(state.text) : state.text;
      const problems = state._tag === "Ok"
        ? yield* checkArtifact(L.entryDir(key), state.meta, depth)
        : [state.reason];
      if (problems.length === 0 && state._tag === "Ok") return { _tag: "Ok", meta: state.meta };
      // the second look: a commit or a discard of this key may have been half-way
      const unchanged = attempt > 0 && Option.makeEquivalence(Equivalence.String)(text, judged);
      if (unchanged || attempt > 2) {
        const reason = problems.join("; ");
        if (discardBad) {
          yield* warnCorrupt(key, reason);
          yield* discard(L, key, text);
        }
        return { _tag: "Corrupt", reason };
      }
      judged = text;
    }
  });

export type Checked =
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Corrupt"; readonly reason: string }
  | { readonly _tag: "Ok"; readonly meta: EntryMeta };

/** The entry if it exists and checks out (stamped depth); a bad one is removed: `None`. */
export const lookup =
  (L: Layout) => (key: string): Effect.Effect<Option.Option<EntryMeta>, StoreIoError> =>
    Effect.map(
      Effect.suspend(() => checkEntry(L, key, "stamped")),
      (c) => (c._tag === "Ok" ? Option.some(c.meta) : Option.none()),
    );

/** Re-hashes every file of the entry; a bad one is removed and fails with `CorruptEntry`. */
export const verify =
  (L: Layout) =>
  (key: string): Effect.Effect<EntryMeta, CorruptEntry | MissingEntry | StoreIoError> =>
    Effect.suspend(() => checkEntry(L, key, "full")).pipe(
      Effect.flatMap((c): Effect.Effect<EntryMeta, CorruptEntry | MissingEntry> =>
        c._tag === "Ok"
          ? Effect.succeed(c.meta)
          : c._tag === "Missing"
          ? Effect.fail(new MissingEntry({ key }))
          : Effect.fail(new CorruptEntry({ key, reason: c.reason }))
      ),
    );

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
      const renamed = yield* io("commit", target, () => fsys.rename(staging, target)).pipe(
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
        // pinned before hashing, stamped after: see stamps.ts
        const tree = yield* listTree(artifact);
        const pinned = yield* pinTimes(artifact, [...tree.files, ...tree.folders]);
        const stamps = {
          files: currentStamps(artifact, tree.files),
          dirs: currentStamps(artifact, tree.folders),
        };
        const files = yield* scanArtifact(artifact, tree.files);
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
        if (pinned) yield* writeText(join(staging, STAMPS_FILE), encodeStamps(stamps));
        yield* writeText(join(staging, META_FILE), encodeMeta(meta));
        killPoint("committing");
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
