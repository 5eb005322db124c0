/**
 * The content-addressed artifact store, as an Effect service.
 *
 * An entry is the output of one stage instance, keyed by its 64-hex cache key (computed elsewhere,
 * see `src/core/`): a folder of artifact files plus `meta.json` with their checksums. This module
 * gathers the store's operations behind the `Store` service; each concept lives in its own file:
 * `entries.ts` (lookup, verify, atomic write, list, remove), `integrity.ts` and `stamps.ts` (what
 * is checked on every reuse), `audit.ts` (`diffrun verify`), `sweep.ts` (what killed processes
 * left), `lock.ts` (cross-process, cross-host
 * per-key locks), `checkpoint.ts`, `gc.ts`, `meta.ts` (the validated `meta.json`), `layout.ts`
 * (paths) and `checksum.ts`. The store is ML-agnostic: it moves files, never tensors; what the
 * files mean is the codec's business.
 *
 * Intended use by the scheduler, so that no two processes ever compute one key at once:
 *
 * ```ts
 * store.withLock(key, Effect.gen(function* () {
 *   const hit = yield* store.lookup(key);
 *   if (Option.isSome(hit)) return hit.value;
 *   const value = yield* run(stage);
 *   const meta = yield* store.write(key, info, (dir) => encode(value, dir));
 *   yield* store.clearCheckpoint(key);
 *   return meta;
 * }));
 * ```
 */
import * as Context from "effect/Context";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import type * as Option from "effect/Option";
import { audit, type AuditReport } from "./audit.ts";
import { clearCheckpoint, loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { list, lookup, remove, verify, write, type WriteInfo } from "./entries.ts";
import type { CorruptEntry, LockTimeout, MissingEntry, StoreIoError } from "./errors.ts";
import { io, mkdirp, removeTree } from "./fsio.ts";
import { gc, type GcOptions, type GcReport } from "./gc.ts";
import { layout } from "./layout.ts";
import { type LockOptions, withLock } from "./lock.ts";
import { sweep, type SweepReport } from "./sweep.ts";
import type { EntryMeta } from "./meta.ts";
import * as fsys from "../platform/fs.ts";

export {
  CorruptEntry,
  LockTimeout,
  MissingEntry,
  type StoreError,
  StoreIoError,
} from "./errors.ts";
export {
  type EntryMeta,
  type FileRecord,
  type Json,
  SCHEMA_VERSION,
  type Timings,
} from "./meta.ts";
export { isKey } from "./layout.ts";
export type { AuditReport, GcOptions, GcReport, LockOptions, SweepReport, WriteInfo };

export interface StoreShape {
  /** Absolute or project-relative root the store was opened at. */
  readonly root: string;
  /**
   * The entry's metadata, if the entry is complete and checks out: file list and sizes always,
   * contents re-hashed for every file whose stat stamp changed (`integrity.ts`). Corrupt →
   * `None`, a warning naming the key and the file, removed.
   */
  lookup(key: string): Effect.Effect<Option.Option<EntryMeta>, StoreIoError>;
  /** Re-hashes every artifact file against `meta.json`; a corrupt entry is removed and reported. */
  verify(key: string): Effect.Effect<EntryMeta, CorruptEntry | MissingEntry | StoreIoError>;
  /** Path of the entry's `artifact/` folder (whether or not the entry exists). */
  artifactDir(key: string): string;
  /**
   * Writes an entry atomically: `writeArtifact` fills an empty staging folder (what becomes
   * `artifact/`), the store hashes it, writes `meta.json` and renames the entry into place. If
   * another writer committed the key first, its entry is kept and its metadata returned. On
   * failure or interruption nothing is published and the staging folder is removed.
   */
  write<E, R>(
    key: string,
    info: WriteInfo,
    writeArtifact: (artifactDir: string) => Effect.Effect<void, E, R>,
  ): Effect.Effect<EntryMeta, E | StoreIoError, R>;
  /** Runs `effect` holding the exclusive lock of `key`, across processes and hosts. */
  withLock<A, E, R>(
    key: string,
    effect: Effect.Effect<A, E, R>,
    options?: LockOptions,
  ): Effect.Effect<A, E | LockTimeout | StoreIoError, R>;
  /** Writes a new checkpoint with `writeFn` and atomically makes it the only one; returns its folder. */
  saveCheckpoint<E, R>(
    key: string,
    writeFn: (dir: string) => Effect.Effect<void, E, R>,
  ): Effect.Effect<string, E | StoreIoError, R>;
  /** The folder of the last complete checkpoint of `key`, if any (read it, do not modify it). */
  loadCheckpoint(key: string): Effect.Effect<Option.Option<string>, StoreIoError>;
  clearCheckpoint(key: string): Effect.Effect<void, StoreIoError>;
  /** Every valid entry, sorted by key. */
  list(): Effect.Effect<EntryMeta[], StoreIoError>;
  /** Removes an entry; `false` when there was none. Does not take the key's lock. */
  remove(key: string): Effect.Effect<boolean, StoreIoError>;
  /** Removes unreferenced, unlocked entries and checkpoints, and old `tmp/` leftovers. */
  gc(options: GcOptions): Effect.Effect<GcReport, StoreIoError>;
  /** Removes `tmp/` items and lock files that no live holder owns (see `sweep.ts`). */
  sweep(): Effect.Effect<SweepReport, StoreIoError>;
  /** Re-hashes every entry; reports the bad ones, removes them with `repair` (`audit.ts`). */
  audit(options: {
    readonly repair: boolean;
    readonly onEntry?: (key: string, ok: boolean) => void;
  }): Effect.Effect<AuditReport, StoreIoError>;
}

/** Opens (creating its folders if needed) the store at `root`. */
export const makeStore = (root: string): Effect.Effect<StoreShape, StoreIoError> =>
  Effect.gen(function* () {
    const L = layout(root);
    for (const dir of [L.entriesDir, L.tmpDir, L.locksDir, L.checkpointsDir]) yield* mkdirp(dir);
    return {
      root,
      lookup: lookup(L),
      verify: verify(L),
      artifactDir: L.artifactDir,
      write: write(L),
      withLock: withLock(L),
      saveCheckpoint: saveCheckpoint(L),
      loadCheckpoint: loadCheckpoint(L),
      clearCheckpoint: clearCheckpoint(L),
      list: () => list(L),
      remove: remove(L),
      gc: gc(L),
      sweep: () => sweep(L),
      audit: audit(L),
    };
  });

export class Store extends Context.Service<Store, StoreShape>()("diffrun/store/Store") {
  /** The store on disk at `root` (the caller resolves `DIFFRUN_STORE` / `--store`). */
  static readonly layer = (root: string): Layer.Layer<Store, StoreIoError> =>
    Layer.effect(Store, Effect.map(makeStore(root), Store.of));

  /** A real store in a fresh temporary directory, deleted when the layer is released. */
  static readonly layerTest: Layer.Layer<Store, StoreIoError> = Layer.effect(
    Store,
    Effect.gen(function* () {
      const root = yield* Effect.acquireRelease(
        io("create temporary directory", "", () => fsys.makeTempDir({ prefix: "diffrun-store-" })),
        (dir) => removeTree(dir).pipe(Effect.ignore),
      );
      return Store.of(yield* makeStore(root));
    }),
  );
}
