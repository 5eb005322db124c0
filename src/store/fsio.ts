/**
 * The store's filesystem calls, each wrapped into an Effect that fails with `StoreIoError`.
 *
 * Private to `src/store/`. "Not found" is an ordinary answer for most store questions, so the
 * readers here return `Option` for it instead of failing. Removal is always "rename out of sight,
 * then delete", so a half-deleted tree is never visible under a live name.
 */
import * as Effect from "effect/Effect";
import * as Option from "effect/Option";
import { StoreIoError } from "./errors.ts";
import * as fsys from "../platform/fs.ts";

export const isNotFound = fsys.isNotFound;
export const isAlreadyExists = fsys.isAlreadyExists;

/** Runs one filesystem promise; a rejection becomes `StoreIoError { op, path }`. */
export const io = <A>(
  op: string,
  path: string,
  f: () => Promise<A>,
): Effect.Effect<A, StoreIoError> =>
  Effect.tryPromise({ try: f, catch: (cause) => new StoreIoError({ op, path, cause }) });

/** Like `io`, but "not found" is `None`. */
export const ioOption = <A>(
  op: string,
  path: string,
  f: () => Promise<A>,
): Effect.Effect<Option.Option<A>, StoreIoError> =>
  Effect.tryPromise({
    try: async () => {
      try {
        return Option.some(await f());
      } catch (e) {
        if (isNotFound(e)) return Option.none<A>();
        throw e;
      }
    },
    catch: (cause) => new StoreIoError({ op, path, cause }),
  });

export const mkdirp = (path: string): Effect.Effect<void, StoreIoError> =>
  io("create directory", path, () => fsys.mkdir(path, { recursive: true }));

export const readText = (path: string): Effect.Effect<Option.Option<string>, StoreIoError> =>
  ioOption("read", path, () => fsys.readTextFile(path));

/**
 * `readText` with the synchronous call: for the small files read on every reuse of an entry
 * (`meta.json`), where the asynchronous one costs several times more per call.
 */
export const readTextSync = (path: string): Effect.Effect<Option.Option<string>, StoreIoError> =>
  Effect.try({
    try: () => {
      try {
        return Option.some(fsys.readTextFileSync(path));
      } catch (e) {
        if (isNotFound(e)) return Option.none<string>();
        throw e;
      }
    },
    catch: (cause) => new StoreIoError({ op: "read", path, cause }),
  });

export const stat = (path: string): Effect.Effect<Option.Option<fsys.FileInfo>, StoreIoError> =>
  ioOption("stat", path, () => fsys.lstat(path));

export const writeText = (path: string, text: string): Effect.Effect<void, StoreIoError> =>
  io("write", path, () => fsys.writeTextFile(path, text));

/** The entries of a directory; a missing directory has none. */
export const listDir = (path: string): Effect.Effect<fsys.DirEntry[], StoreIoError> =>
  ioOption("list", path, () => Array.fromAsync(fsys.readDir(path))).pipe(
    Effect.map(Option.getOrElse((): fsys.DirEntry[] => [])),
  );

/** Deletes a file or a whole tree; already gone is fine. */
export const removeTree = (path: string): Effect.Effect<void, StoreIoError> =>
  ioOption("remove", path, () => fsys.remove(path, { recursive: true })).pipe(Effect.asVoid);

/** Renames `from` to `to`; `false` when `from` does not exist. */
export const renameIfExists = (from: string, to: string): Effect.Effect<boolean, StoreIoError> =>
  ioOption("rename", from, () => fsys.rename(from, to)).pipe(Effect.map(Option.isSome));

/**
 * Makes `path` disappear at once by renaming it to `aside` (a unique `tmp/` path), then deletes it.
 * `false` when there was nothing to remove.
 */
export const removeAtomically = (
  path: string,
  aside: string,
): Effect.Effect<boolean, StoreIoError> =>
  Effect.gen(function* () {
    const moved = yield* renameIfExists(path, aside);
    if (moved) yield* removeTree(aside);
    return moved;
  });
