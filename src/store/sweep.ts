/**
 * Sweeping what killed processes left behind, at the start of every run (no age threshold).
 *
 * Every `tmp/` item is named `<key>.<token>.<purpose>` and is created only by the holder of that
 * key's lock (staging of a write, a scratch folder, a checkpoint in flight) or by a removal
 * moving an entry out of sight. So an item whose key no live process holds is a leftover: its
 * creator died, or is deleting it anyway. Items are removed when `probeLock` finds their key
 * free (no OS lock on this host, no unexpired lease of another host). Items named otherwise (an
 * older diffrun's `scratch-…` folders) are removed when they are older than every live holder's
 * lock, that is when no process now holding a key can have created them. Lock files whose OS
 * lock nobody holds are deleted too (they belong to dead holders).
 */
import { join } from "node:path";
import * as Effect from "effect/Effect";
import * as Option from "effect/Option";
import type { StoreIoError } from "./errors.ts";
import { listDir, removeTree, stat } from "./fsio.ts";
import { isKey, keyOfTmpName, type Layout } from "./layout.ts";
import { parseLockRecord, probeLock } from "./lock.ts";
import * as fsys from "../platform/fs.ts";

export interface SweepReport {
  /** `tmp/` items removed. */
  readonly tmpRemoved: number;
  /** Lock files of dead holders removed. */
  readonly locksRemoved: number;
}

export const sweep = (L: Layout): Effect.Effect<SweepReport, StoreIoError> =>
  Effect.gen(function* () {
    // lock files first: what is still held afterwards belongs to a live holder
    let locksRemoved = 0;
    let oldestHeld = Infinity;
    for (const item of yield* listDir(L.locksDir)) {
      const key = item.name.endsWith(".lock") ? item.name.slice(0, -5) : "";
      if (!isKey(key)) continue;
      const state = yield* probeLock(L, key, true);
      if (state._tag === "Free") {
        locksRemoved++;
        continue;
      }
      const record = yield* Effect.promise(() =>
        fsys.readTextFile(L.lockPath(key)).then(parseLockRecord, () => undefined)
      );
      // a holder whose record is not written yet took its lock just now
      const since = record === undefined ? Date.now() : Date.parse(record.acquiredAt);
      oldestHeld = Math.min(oldestHeld, since);
    }

    const free = new Map<string, boolean>();
    let tmpRemoved = 0;
    for (const item of yield* listDir(L.tmpDir)) {
      const path = join(L.tmpDir, item.name);
      const key = keyOfTmpName(item.name);
      if (key !== undefined) {
        if (!free.has(key)) free.set(key, (yield* probeLock(L, key))._tag === "Free");
        if (!free.get(key)) continue;
      } else {
        const info = yield* stat(path);
        const mtime = Option.match(info, {
          onNone: () => Infinity,
          onSome: (i) => i.mtime?.getTime() ?? Infinity,
        });
        if (!(mtime < oldestHeld)) continue;
      }
      yield* removeTree(path);
      tmpRemoved++;
    }
    if (tmpRemoved + locksRemoved > 0) {
      yield* Effect.logInfo(
        `store: swept ${tmpRemoved} tmp/ item(s) and ${locksRemoved} lock file(s) left by stopped processes`,
      );
    }
    return { tmpRemoved, locksRemoved };
  }).pipe(Effect.withSpan("Store.sweep"));
