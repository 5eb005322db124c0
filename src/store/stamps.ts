/**
 * The stat cache of an entry (`stamps.json`, beside `meta.json`): which files were last hashed and
 * found good, identified by `(size, mtime, inode)`. DVC calls this its state cache.
 *
 * Re-hashing every artifact file on every reuse would make a 1,000-stage cached re-run slow, so a
 * file whose stat still matches its stamp is trusted to hold the bytes it held when hashed, and
 * only a file whose stamp differs (edited, replaced, copied to another disk) is re-hashed.
 *
 * File timestamps are coarse (a kernel tick, a few ms): an edit made within the same tick as the
 * stamp would keep the stamped mtime. So before stamping, the store sets each file's mtime to a
 * whole second at least one second in the past ("pinning"); any later write moves the mtime to
 * the present, which differs from the pin. What this cannot see: an edit that restores size,
 * mtime and inode on purpose (`touch -d`), or a clock set back past the pin. `diffrun verify`
 * re-hashes everything and catches those too.
 *
 * Directories are stamped too (`dirs`, the artifact folder as ""): adding, removing or renaming
 * an entry changes its folder's mtime, so while every folder's stamp holds, the file list is the
 * recorded one and a reuse needs one `lstat` per file and folder instead of a directory walk. The
 * folder stamps are all or nothing: a check trusts them only as the complete set of folders.
 *
 * The file is a cache: missing, unreadable or stale stamps only cost a re-hash (and a walk).
 * Reads and writes here use the synchronous file API on purpose: they are a few tiny calls per
 * entry, and the asynchronous ones cost several times more per call, which a 1,000-entry re-run
 * notices.
 */
import { join } from "node:path";
import * as Effect from "effect/Effect";
import * as Clock from "effect/Clock";
import * as v from "valibot";
import { freshToken } from "./layout.ts";
import * as fsys from "../platform/fs.ts";

export const STAMPS_FILE = "stamps.json";

/** `[size, mtime in ms, inode]` of one file. */
export type Stamp = readonly [number, number, number];

const StampMap = v.record(v.string(), v.tuple([v.number(), v.number(), v.number()]));
/** Version 1 had no folder stamps: such an entry is walked (and stamped anew) on its next check. */
const StampsSchema = v.union([
  v.object({ version: v.literal(1), files: StampMap }),
  v.object({ version: v.literal(2), files: StampMap, dirs: StampMap }),
]);

/** The stat cache of one entry: files and folders by path relative to `artifact/`. */
export interface Stamps {
  readonly files: ReadonlyMap<string, Stamp>;
  /** Empty when unknown: then the file list is checked by a walk. */
  readonly dirs: ReadonlyMap<string, Stamp>;
}

export const NO_STAMPS: Stamps = { files: new Map(), dirs: new Map() };

export const sameStamp = (a: Stamp | undefined, b: Stamp | undefined): boolean =>
  a !== undefined && b !== undefined && a[0] === b[0] && a[1] === b[1] && a[2] === b[2];

export const stampOf = (info: fsys.FileInfo): Stamp => [
  info.size,
  info.mtime?.getTime() ?? -1,
  info.ino ?? -1,
];

/** The stamps recorded in `entryDir`; empty when absent or unreadable (everything is re-hashed). */
export const readStamps = (entryDir: string): Stamps => {
  try {
    const parsed = v.safeParse(
      StampsSchema,
      JSON.parse(fsys.readTextFileSync(join(entryDir, STAMPS_FILE))),
    );
    if (!parsed.success) return NO_STAMPS;
    const o = parsed.output;
    return {
      files: new Map(Object.entries(o.files)),
      dirs: o.version === 2 ? new Map(Object.entries(o.dirs)) : new Map(),
    };
  } catch {
    return NO_STAMPS;
  }
};

export const encodeStamps = (stamps: Stamps): string =>
  JSON.stringify({
    version: 2,
    files: Object.fromEntries(stamps.files),
    dirs: Object.fromEntries(stamps.dirs),
  }) + "\n";

/**
 * Replaces `entryDir`'s stamps atomically. Best effort: a read-only or vanished entry keeps
 * its old stamps and is simply re-hashed next time.
 */
export const writeStamps = (entryDir: string, stamps: Stamps): Effect.Effect<void> =>
  Effect.sync(() => {
    const side = join(entryDir, `${STAMPS_FILE}.${freshToken()}.tmp`);
    try {
      fsys.writeTextFileSync(side, encodeStamps(stamps), { createNew: true });
      fsys.renameSync(side, join(entryDir, STAMPS_FILE));
    } catch {
      try {
        fsys.removeSync(side);
      } catch {
        // the side file was never written, or went with the entry
      }
    }
  });

/**
 * Sets the mtime of every listed file and folder (paths relative to `artifactDir`, "" for itself)
 * to a whole second at least one second ago, so that any later write, or any entry added to or
 * removed from a folder, changes it (see the module header). Returns false when that was not
 * allowed (a read-only store): then no stamp should be recorded.
 */
export const pinTimes = (artifactDir: string, paths: readonly string[]): Effect.Effect<boolean> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Effect.sync(() => {
      const pinned = new Date(Math.floor(now / 1000) * 1000 - 1000);
      try {
        for (const path of paths) fsys.utimeSync(join(artifactDir, path), pinned, pinned);
        return true;
      } catch {
        return false;
      }
    }));

/** Stamps of the listed files as they are now (lstat: a link is never followed). */
export const currentStamps = (
  artifactDir: string,
  paths: readonly string[],
): Map<string, Stamp> => {
  const out = new Map<string, Stamp>();
  for (const path of paths) {
    try {
      out.set(path, stampOf(fsys.lstatSync(join(artifactDir, path))));
    } catch {
      // gone: no stamp, so it is re-hashed (and found missing)
    }
  }
  return out;
};
