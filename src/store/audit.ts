/**
 * Auditing the whole store (`diffrun verify`): every entry is re-hashed in full, whatever its
 * stamps, and the bad ones are reported, or removed with `repair` (the next run recomputes them).
 *
 * Unlike a read, an audit without `repair` changes nothing but stamps: it is safe to run while
 * experiments run on the store, and its report can be inspected before deciding.
 */
import { join } from "node:path";
import * as Effect from "effect/Effect";
import { checkEntry } from "./entries.ts";
import type { StoreIoError } from "./errors.ts";
import { listDir } from "./fsio.ts";
import { isKey, type Layout } from "./layout.ts";

export interface AuditReport {
  /** Entries re-hashed (those that vanished meanwhile are not counted). */
  readonly checked: number;
  readonly bytes: number;
  /** Bad entries, sorted by key, with what is wrong (naming the files). */
  readonly bad: readonly { readonly key: string; readonly reason: string }[];
  /** Whether the bad entries were removed. */
  readonly repaired: boolean;
}

export const audit = (L: Layout) =>
(options: {
  readonly repair: boolean;
  /** Called after each entry (progress). */
  readonly onEntry?: (key: string, ok: boolean) => void;
}): Effect.Effect<AuditReport, StoreIoError> =>
  Effect.gen(function* () {
    const keys: string[] = [];
    for (const prefix of yield* listDir(L.entriesDir)) {
      if (!prefix.isDirectory) continue;
      for (const entry of yield* listDir(join(L.entriesDir, prefix.name))) {
        if (isKey(entry.name) && entry.name.startsWith(prefix.name)) keys.push(entry.name);
      }
    }
    keys.sort();
    let checked = 0;
    let bytes = 0;
    const bad: { key: string; reason: string }[] = [];
    for (const key of keys) {
      const result = yield* checkEntry(L, key, "full", options.repair);
      if (result._tag === "Missing") continue;
      checked++;
      if (result._tag === "Ok") bytes += result.meta.sizeBytes;
      else bad.push({ key, reason: result.reason });
      options.onEntry?.(key, result._tag === "Ok");
    }
    return { checked, bytes, bad, repaired: options.repair };
  }).pipe(Effect.withSpan("Store.audit"));
