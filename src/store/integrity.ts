/**
 * Checking a committed entry's artifact files against its `meta.json`.
 *
 * Two depths, one code path:
 *   - `stamped` (every reuse: `lookup`): the file list, every file's type and size are compared
 *     with the metadata (one `lstat` per file and folder while every folder keeps its stamp,
 *     otherwise a directory walk), then every file whose `(size, mtime, inode)` differs from its
 *     stamp (`stamps.ts`) is re-hashed. A file whose stamp matches was hashed and found good
 *     before, and has not been written since.
 *   - `full` (`verify`, `diffrun verify`): every file is re-hashed, whatever its stamp.
 * Either way a re-hashed file that checks out gets a fresh stamp (unless its mtime is so recent
 * that a later edit could keep it), so the next reuse is cheap again. Checking never pins times
 * (`stamps.ts`): pinning a file not yet known to be good could hide an edit from the next check.
 *
 * The answer is a list of problems, each naming the file (`file value.json has sha256 …,
 * expected …`); empty means the entry may be used. Symbolic links and other special files are
 * problems: an entry must not point outside itself, and a link is never followed.
 */
import { join } from "node:path";
import * as Effect from "effect/Effect";
import { combinedChecksum, hashFile, totalSize } from "./checksum.ts";
import { StoreIoError } from "./errors.ts";
import { isNotFound } from "./fsio.ts";
import type { EntryMeta } from "./meta.ts";
import * as Clock from "effect/Clock";
import {
  currentStamps,
  readStamps,
  sameStamp,
  type Stamp,
  stampOf,
  type Stamps,
  writeStamps,
} from "./stamps.ts";
import * as fsys from "../platform/fs.ts";

export type CheckDepth = "stamped" | "full";

/** A file whose mtime is this much in the past is safe to stamp (timestamps are coarse). */
const SETTLED_MS = 2_000;

interface Walk {
  readonly files: Map<string, fsys.FileInfo>;
  /** Every folder found, "" for `artifact/` itself; null when the walk was skipped (stamps held). */
  readonly dirs: Map<string, fsys.FileInfo> | null;
  readonly problems: string[];
}

/** Every file and folder under `artifactDir` with its lstat, and what is neither. */
const walkArtifact = (artifactDir: string): Walk => {
  const files = new Map<string, fsys.FileInfo>();
  const dirs = new Map<string, fsys.FileInfo>();
  const problems: string[] = [];
  const walk = (abs: string, rel: string) => {
    for (const entry of fsys.readDirSync(abs)) {
      const childRel = rel === "" ? entry.name : `${rel}/${entry.name}`;
      const childAbs = join(abs, entry.name);
      if (entry.isSymlink) problems.push(`artifact/${childRel} is a symbolic link`);
      else if (entry.isDirectory) {
        dirs.set(childRel, fsys.lstatSync(childAbs));
        walk(childAbs, childRel);
      } else if (entry.isFile) files.set(childRel, fsys.lstatSync(childAbs));
      else problems.push(`artifact/${childRel} is not a regular file`);
    }
  };
  try {
    const root = fsys.lstatSync(artifactDir);
    if (!root.isDirectory) return { files, dirs, problems: ["artifact/ is not a folder"] };
    dirs.set("", root);
    walk(artifactDir, "");
  } catch (e) {
    if (!isNotFound(e)) throw e;
    problems.push(
      problems.length === 0 && files.size === 0
        ? "artifact/ is missing"
        : "a file vanished while the artifact was read",
    );
  }
  return { files, dirs, problems };
};

/**
 * The recorded files' lstat without a walk, when every recorded folder still has its stamp (so no
 * entry was added, removed or renamed in any of them) and every recorded file is a regular file;
 * otherwise null, and the caller walks.
 */
const statRecorded = (artifactDir: string, meta: EntryMeta, stamps: Stamps): Walk | null => {
  if (stamps.dirs.size === 0) return null;
  try {
    for (const [rel, stamp] of stamps.dirs) {
      const info = fsys.lstatSync(join(artifactDir, rel));
      if (!info.isDirectory || !sameStamp(stamp, stampOf(info))) return null;
    }
    const files = new Map<string, fsys.FileInfo>();
    for (const f of meta.files) {
      const info = fsys.lstatSync(join(artifactDir, f.path));
      if (!info.isFile) return null;
      files.set(f.path, info);
    }
    return { files, dirs: null, problems: [] };
  } catch {
    return null;
  }
};

/** The recorded folder stamps are exactly the folders a walk found, as they are now. */
const sameFolders = (
  recorded: ReadonlyMap<string, Stamp>,
  found: ReadonlyMap<string, fsys.FileInfo>,
): boolean =>
  recorded.size === found.size &&
  [...found].every(([rel, info]) => sameStamp(recorded.get(rel), stampOf(info)));

/** What the metadata says that the folder contradicts, without reading any file's bytes. */
const listProblems = (meta: EntryMeta, found: ReadonlyMap<string, fsys.FileInfo>): string[] => {
  const problems: string[] = [];
  const recorded = new Set<string>();
  for (const want of meta.files) {
    recorded.add(want.path);
    const got = found.get(want.path);
    if (got === undefined) problems.push(`file ${want.path} is missing`);
    else if (got.size !== want.size) {
      problems.push(`file ${want.path} has ${got.size} bytes, expected ${want.size}`);
    }
  }
  for (const path of found.keys()) {
    if (!recorded.has(path)) problems.push(`unexpected file ${path}`);
  }
  if (combinedChecksum(meta.files).digest !== meta.checksum.digest) {
    problems.push("checksum does not match the file list");
  }
  if (totalSize(meta.files) !== meta.sizeBytes) {
    problems.push("sizeBytes does not match the file list");
  }
  return problems;
};

/**
 * Problems of the entry whose metadata is `meta`, in `entryDir` (empty: the entry is good).
 * Re-hashed files that check out are stamped again (best effort).
 */
export const checkArtifact = (
  entryDir: string,
  meta: EntryMeta,
  depth: CheckDepth,
): Effect.Effect<string[], StoreIoError> =>
  Effect.gen(function* () {
    const artifactDir = join(entryDir, "artifact");
    const stamps = readStamps(entryDir);
    const walked = yield* Effect.try({
      try: () =>
        (depth === "stamped" ? statRecorded(artifactDir, meta, stamps) : null) ??
          walkArtifact(artifactDir),
      catch: (cause) => new StoreIoError({ op: "check", path: artifactDir, cause }),
    });
    const problems = [...walked.problems, ...listProblems(meta, walked.files)];
    if (problems.length > 0) return problems;

    const stale = meta.files.filter((f) => {
      const info = walked.files.get(f.path);
      return depth === "full" || !sameStamp(stamps.files.get(f.path), info && stampOf(info));
    });
    // folder stamps, all or nothing, when a walk found them all settled and none is recorded yet
    const now = yield* Clock.currentTimeMillis;
    const dirs = walked.dirs !== null && !sameFolders(stamps.dirs, walked.dirs) &&
        [...walked.dirs.values()].every((d) => (d.mtime?.getTime() ?? now) < now - SETTLED_MS)
      ? new Map([...walked.dirs].map(([rel, info]) => [rel, stampOf(info)] as const))
      : null;
    if (stale.length === 0) {
      if (dirs !== null) yield* writeStamps(entryDir, { files: stamps.files, dirs });
      return [];
    }
    // stat, then hash: an edit racing the hash moves the mtime past the stamp taken here
    const fresh = currentStamps(artifactDir, stale.map((f) => f.path));
    for (const want of stale) {
      const got = yield* hashFile(join(artifactDir, ...want.path.split("/"))).pipe(
        Effect.map((h) => h as { size: number; digest: string } | undefined),
        Effect.catchIf((e) => isNotFound(e.cause), () => Effect.succeed(undefined)),
      );
      if (got === undefined) problems.push(`file ${want.path} is missing`);
      else if (got.size !== want.size) {
        problems.push(`file ${want.path} has ${got.size} bytes, expected ${want.size}`);
      } else if (got.digest !== want.digest) {
        problems.push(
          `file ${want.path} has ${want.algorithm} ${got.digest}, expected ${want.digest}`,
        );
      }
    }
    // a file written within the last moments could still be edited within its mtime's tick: it
    // gets no stamp (is re-hashed) until it is older than that
    const settled = [...fresh].filter(([, s]) => s[1] < now - SETTLED_MS);
    if (problems.length === 0 && (settled.length > 0 || dirs !== null)) {
      const next = new Map<string, Stamp>(stamps.files);
      for (const [path, s] of settled) next.set(path, s);
      for (const path of next.keys()) if (!walked.files.has(path)) next.delete(path);
      yield* writeStamps(entryDir, { files: next, dirs: dirs ?? stamps.dirs });
    }
    return problems;
  });
