/**
 * Content checksums of an artifact directory.
 *
 * Every regular file under `artifact/` is hashed (sha256, streamed in 1 MiB chunks so model
 * weights never sit in memory twice). The entry checksum is the sha256 of the JSON array
 * `[[path, size, digest], …]` sorted by path (UTF-16 code-unit order): one string that changes
 * when any file is added, removed, renamed, resized or edited. Empty directories carry no content
 * and are ignored. Symbolic links and other special files are refused: an entry must not point
 * outside itself.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import * as Effect from "effect/Effect";
import { StoreIoError } from "./errors.ts";
import { io, listDir } from "./fsio.ts";
import { readChunks } from "../platform/fs.ts";
import { type Digest, type FileRecord, HASH_ALGORITHM } from "./meta.ts";

const CHUNK = 1 << 20;

/** Digest (hex, `HASH_ALGORITHM`) and size of one file. */
export const hashFile = (
  path: string,
): Effect.Effect<{ size: number; digest: string }, StoreIoError> =>
  io("hash", path, async () => {
    const hash = createHash(HASH_ALGORITHM);
    let size = 0;
    for await (const chunk of readChunks(path, CHUNK)) {
      hash.update(chunk);
      size += chunk.length;
    }
    return { size, digest: hash.digest("hex") };
  });

/**
 * Relative POSIX paths of every regular file under `dir` and of every folder ("" for `dir`
 * itself, empty folders included), each list sorted.
 */
export const listTree = (
  dir: string,
): Effect.Effect<{ files: string[]; folders: string[] }, StoreIoError> =>
  Effect.gen(function* () {
    const files: string[] = [];
    const folders: string[] = [""];
    const walk = (abs: string, rel: string): Effect.Effect<void, StoreIoError> =>
      Effect.gen(function* () {
        for (const entry of yield* listDir(abs)) {
          const childRel = rel === "" ? entry.name : `${rel}/${entry.name}`;
          const childAbs = join(abs, entry.name);
          if (entry.isDirectory) {
            folders.push(childRel);
            yield* walk(childAbs, childRel);
          } else if (entry.isFile) files.push(childRel);
          else {
            return yield* new StoreIoError({
              op: "hash",
              path: childAbs,
              cause:
                "artifacts may hold only regular files and directories (found a link or special file)",
            });
          }
        }
      });
    yield* walk(dir, "");
    return { files: files.sort(comparePaths), folders: folders.sort(comparePaths) };
  });

const comparePaths = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Hashes the listed files under `dir` (`listTree`'s sorted paths), one record each, in order. */
export const scanArtifact = (
  dir: string,
  paths: readonly string[],
): Effect.Effect<FileRecord[], StoreIoError> =>
  // Sequential on purpose: hashing is disk-bound and the machine may be busy training.
  Effect.forEach(
    paths,
    (path) =>
      Effect.map(
        hashFile(join(dir, ...path.split("/"))),
        (h): FileRecord => ({ path, size: h.size, algorithm: HASH_ALGORITHM, digest: h.digest }),
      ),
  );

/** The entry checksum over a list of file records (sorted here, whatever the input order). */
export const combinedChecksum = (files: readonly FileRecord[]): Digest => {
  const rows = [...files]
    .sort((a, b) => comparePaths(a.path, b.path))
    .map((f) => [f.path, f.size, f.digest]);
  const digest = createHash(HASH_ALGORITHM).update(JSON.stringify(rows)).digest("hex");
  return { algorithm: HASH_ALGORITHM, digest };
};

export const totalSize = (files: readonly FileRecord[]): number =>
  files.reduce((sum, f) => sum + f.size, 0);
