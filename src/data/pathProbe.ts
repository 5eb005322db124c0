/**
 * What is at a data path, without throwing for the common answers: nothing, a file, a directory,
 * or something else. A permission refusal is not "nothing": it throws `DataPermissionDenied`,
 * telling Deno's sandbox (`--allow-read`) apart from the operating system. Synchronous, so that
 * plan-time checks (pipelines' `build` is synchronous) and loaders share it.
 */
import { DataPermissionDenied } from "./errors.ts";
import * as fsys from "../platform/fs.ts";

export type PathKind = "missing" | "file" | "directory" | "other";

/** The kind of entry at `path` (symlinks followed); throws `DataPermissionDenied` when refused. */
export function probePath(path: string): PathKind {
  let info: fsys.FileInfo;
  try {
    info = fsys.statSync(path);
  } catch (e) {
    if (fsys.isNotFound(e)) return "missing";
    if (fsys.isSandboxDenied(e)) throw new DataPermissionDenied(path, "deno");
    if (fsys.isPermissionDenied(e)) throw new DataPermissionDenied(path, "os");
    throw e;
  }
  return info.isDirectory ? "directory" : info.isFile ? "file" : "other";
}
