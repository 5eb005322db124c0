/**
 * Mirroring store artifacts into a run directory with hard links: the files open like normal
 * files, nothing is copied, and store entries are never modified in place, so the link is as good
 * as the entry. (Deno allows symbolic links only with unscoped file permissions.) Across
 * filesystems small files are copied and large ones get a `<name>.path` file naming the store
 * path. The runner's own `_diffrun/` folder is left out.
 *
 * The common path (a folder, a link per file) uses the synchronous calls: a run links every
 * stage's artifact, and the asynchronous ones cost several times more per call.
 */
import { dirname, join } from "node:path";
import * as fsys from "../platform/fs.ts";

/** Largest file copied when a hard link is impossible (store on another filesystem). */
const COPY_LIMIT_BYTES = 4 * 1024 * 1024;

const RUNNER_FOLDER = "_diffrun";

const mkdirIfMissing = (path: string, recursive = false) => {
  try {
    fsys.mkdirSync(path, { recursive });
  } catch (e) {
    if (!fsys.isAlreadyExists(e)) throw e;
  }
};

const tryLink = (src: string, dst: string): boolean => {
  try {
    fsys.linkSync(src, dst);
    return true;
  } catch {
    return false;
  }
};

/**
 * One file: a hard link, else (another filesystem) a copy or a `.path` pointer. Returns the
 * suffix added to the name ("" or ".path").
 */
const linkOne = async (src: string, dst: string): Promise<string> => {
  try {
    fsys.linkSync(src, dst);
    return "";
  } catch (e) {
    if (fsys.isAlreadyExists(e)) {
      fsys.removeSync(dst);
      if (tryLink(src, dst)) return "";
    }
  }
  const size = (await fsys.stat(src)).size;
  if (size <= COPY_LIMIT_BYTES) {
    await fsys.copyFile(src, dst);
    return "";
  }
  await fsys.writeTextFile(`${dst}.path`, src + "\n");
  return ".path";
};

/**
 * Mirrors the folder `from` into `to` (whose parent exists), walking it. Returns the files
 * written, relative to `to` (`/`-separated).
 */
export const linkTree = async (from: string, to: string, rel = ""): Promise<string[]> => {
  mkdirIfMissing(to);
  const written: string[] = [];
  for (const entry of fsys.readDirSync(from)) {
    if (entry.name === RUNNER_FOLDER && rel === "") continue;
    const child = rel === "" ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory) {
      written.push(...await linkTree(join(from, entry.name), join(to, entry.name), child));
    } else written.push(child + await linkOne(join(from, entry.name), join(to, entry.name)));
  }
  return written;
};

/**
 * Mirrors the listed files of `from` (paths relative to it, `/`-separated: an entry's file list)
 * into `to` without walking: what a run links for every stage it ran or found cached. Returns the
 * files written, relative to `to`.
 */
export const linkFiles = async (
  from: string,
  to: string,
  paths: readonly string[],
): Promise<string[]> => {
  mkdirIfMissing(to);
  const made = new Set<string>([to]);
  const written: string[] = [];
  for (const path of paths) {
    if (path === RUNNER_FOLDER || path.startsWith(`${RUNNER_FOLDER}/`)) continue;
    const parts = path.split("/");
    const dst = join(to, ...parts);
    const parent = dirname(dst);
    if (!made.has(parent)) {
      mkdirIfMissing(parent, true);
      made.add(parent);
    }
    written.push(path + await linkOne(join(from, ...parts), dst));
  }
  return written;
};
