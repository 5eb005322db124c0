/**
 * The identity of a set of data files without reading them: sha256 over, for each file in sorted
 * order, its path relative to the data root, its size, its modification time (ms) and its inode.
 * Replacing a file (a new inode, or new bytes: a new mtime and usually a new size) changes it; an
 * untouched folder keeps it. Costs one stat per file, not a read.
 *
 * Not covered: a file rewritten in place (same inode) with the same size within the same
 * millisecond as its previous version. Content hashes would cover it at the cost of reading every
 * byte.
 */
import { createHash } from "node:crypto";
import * as fsys from "../platform/fs.ts";

/** `root`-relative paths → hex identity (the order of `relatives` does not matter). */
export function filesIdentity(root: string, relatives: readonly string[]): string {
  const base = root.replace(/\/+$/, "");
  const hash = createHash("sha256");
  for (const rel of [...relatives].sort()) {
    const info = fsys.statSync(`${base}/${rel}`);
    hash.update(`${rel}\t${info.size}\t${info.mtime?.getTime() ?? ""}\t${info.ino ?? ""}\n`);
  }
  return hash.digest("hex");
}
