/**
 * Checkpoints: one resumable state per key, for work that may be interrupted before it commits.
 *
 * `checkpoints/<key>/` holds numbered generations (`000000000001/`, …). A save writes the new
 * state into `tmp/`, renames it in as the next generation (so it appears complete or not at all),
 * then deletes the older generations: after a save returns exactly one checkpoint is left; after a
 * crash in between, two may be, and the newest wins. A directory cannot be renamed over a
 * non-empty one on Linux, hence generations rather than a single replaced directory.
 *
 * Only the holder of the key's lock should save or clear checkpoints; the store does not check.
 */
import { join } from "node:path";
import * as Effect from "effect/Effect";
import * as Option from "effect/Option";
import type { StoreIoError } from "./errors.ts";
import { io, listDir, mkdirp, removeAtomically, removeTree } from "./fsio.ts";
import { assertKey, isKey, type Layout } from "./layout.ts";
import * as fsys from "../platform/fs.ts";

const GENERATION = /^[0-9]{12}$/;

const generations = (L: Layout, key: string): Effect.Effect<string[], StoreIoError> =>
  Effect.map(
    listDir(L.checkpointDir(key)),
    (entries) =>
      entries.filter((e) => e.isDirectory && GENERATION.test(e.name)).map((e) => e.name).sort(),
  );

/**
 * Writes a checkpoint of `key` with `writeFn` into a fresh directory and makes it the one
 * checkpoint of the key. Returns the checkpoint directory. If `writeFn` fails or is interrupted,
 * the previous checkpoint stays.
 */
export const saveCheckpoint = (L: Layout) =>
<E, R>(
  key: string,
  writeFn: (dir: string) => Effect.Effect<void, E, R>,
): Effect.Effect<string, E | StoreIoError, R> =>
  Effect.acquireUseRelease(
    Effect.suspend(() => {
      const staging = L.tmpPath(key, "checkpoint");
      return Effect.as(mkdirp(staging), staging);
    }),
    (staging) =>
      Effect.gen(function* () {
        yield* writeFn(staging);
        const dir = L.checkpointDir(key);
        yield* mkdirp(dir);
        const before = yield* generations(L, key);
        const last = before.at(-1);
        const next = String((last === undefined ? 0 : Number(last)) + 1).padStart(12, "0");
        const target = join(dir, next);
        yield* Effect.uninterruptible(
          io("save checkpoint", target, () => fsys.rename(staging, target)),
        );
        for (const old of before) {
          yield* removeAtomically(join(dir, old), L.tmpPath(key, "old-checkpoint"));
        }
        return target;
      }),
    (staging) => removeTree(staging).pipe(Effect.ignore),
  );

/** The directory of the last complete checkpoint of `key`, if any. */
export const loadCheckpoint =
  (L: Layout) => (key: string): Effect.Effect<Option.Option<string>, StoreIoError> =>
    Effect.suspend(() => generations(L, assertKey(key))).pipe(
      Effect.map((gens) =>
        Option.map(Option.fromUndefinedOr(gens.at(-1)), (g) => join(L.checkpointDir(key), g))
      ),
    );

/** Removes every checkpoint of `key` (after its entry has committed). */
export const clearCheckpoint = (L: Layout) => (key: string): Effect.Effect<void, StoreIoError> =>
  Effect.suspend(() => removeAtomically(L.checkpointDir(key), L.tmpPath(key, "cleared-checkpoint")))
    .pipe(
      Effect.asVoid,
    );

/** Keys that have a checkpoint directory. */
export const checkpointKeys = (L: Layout): Effect.Effect<string[], StoreIoError> =>
  Effect.map(
    listDir(L.checkpointsDir),
    (entries) => entries.filter((e) => isKey(e.name)).map((e) => e.name),
  );
