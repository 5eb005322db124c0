/**
 * Garbage collection: drop what no experiment refers to any more, spare what is in progress.
 *
 * An entry is removed when its key is not in `referenced` and no live process holds its lock.
 * Checkpoints go by the same rule (a locked key's checkpoint is work in progress). Items in `tmp/`
 * (staging of killed writers, things moved aside) and side files in `locks/` go once older than
 * `tmpMaxAgeMs` (one hour), unless the key they belong to is locked. A dry run reports the same
 * lists and sizes and touches nothing, not even corrupt entries.
 */
import { join } from "node:path";
import * as Clock from "effect/Clock";
import * as Effect from "effect/Effect";
import * as Option from "effect/Option";
import { checkpointKeys, clearCheckpoint } from "./checkpoint.ts";
import { list, remove } from "./entries.ts";
import type { StoreIoError } from "./errors.ts";
import { listDir, removeTree, stat } from "./fsio.ts";
import { keyOfTmpName, type Layout } from "./layout.ts";
import { isLocked } from "./lock.ts";

export interface GcOptions {
  /** Keys still wanted (e.g. every key of every current experiment's plan). */
  readonly referenced: ReadonlySet<string>;
  readonly dryRun: boolean;
  /** Age after which `tmp/` leftovers are collected (default one hour). */
  readonly tmpMaxAgeMs?: number;
}

export interface GcReport {
  /** Entries removed (or, in a dry run, that would be). */
  readonly removed: readonly { readonly key: string; readonly sizeBytes: number }[];
  /** Entries kept: referenced, or locked by a live process. */
  readonly keptCount: number;
  readonly freedBytes: number;
  /** Keys whose checkpoints were (would be) removed. */
  readonly checkpointsRemoved: readonly string[];
  /** Number of `tmp/` and `locks/` leftovers removed (would be). */
  readonly leftoversRemoved: number;
}

const HOUR_MS = 60 * 60 * 1000;

export const gc = (L: Layout) => (options: GcOptions): Effect.Effect<GcReport, StoreIoError> =>
  Effect.gen(function* () {
    const { referenced, dryRun } = options;
    const maxAge = options.tmpMaxAgeMs ?? HOUR_MS;
    const locked = new Map<string, boolean>();
    const isBusy = (key: string) =>
      locked.has(key)
        ? Effect.succeed(locked.get(key) === true)
        : Effect.tap(isLocked(L, key), (b) => Effect.sync(() => locked.set(key, b)));

    const removed: { key: string; sizeBytes: number }[] = [];
    let keptCount = 0;
    for (const meta of yield* list(L, !dryRun)) {
      if (referenced.has(meta.key) || (yield* isBusy(meta.key))) {
        keptCount++;
        continue;
      }
      if (!dryRun) yield* remove(L)(meta.key);
      removed.push({ key: meta.key, sizeBytes: meta.sizeBytes });
    }

    const checkpointsRemoved: string[] = [];
    for (const key of yield* checkpointKeys(L)) {
      if (referenced.has(key) || (yield* isBusy(key))) continue;
      if (!dryRun) yield* clearCheckpoint(L)(key);
      checkpointsRemoved.push(key);
    }

    const now = yield* Clock.currentTimeMillis;
    let leftoversRemoved = 0;
    for (const dir of [L.tmpDir, L.locksDir]) {
      for (const item of yield* listDir(dir)) {
        // Live lock files are never leftovers: stale ones are broken by the next waiter.
        if (dir === L.locksDir && item.name.endsWith(".lock")) continue;
        const path = join(dir, item.name);
        const info = yield* stat(path);
        if (Option.isNone(info)) continue;
        const age = now - (info.value.mtime?.getTime() ?? now);
        if (age <= maxAge) continue;
        const key = keyOfTmpName(item.name);
        if (key !== undefined && (yield* isBusy(key))) continue;
        if (!dryRun) yield* removeTree(path);
        leftoversRemoved++;
      }
    }

    const freedBytes = removed.reduce((sum, r) => sum + r.sizeBytes, 0);
    return { removed, keptCount, freedBytes, checkpointsRemoved, leftoversRemoved };
  }).pipe(Effect.withSpan("Store.gc"));
