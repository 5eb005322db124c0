/**
 * The file system, on `node:fs` (both runtimes provide it), with the answers diffrun needs: file
 * info and directory entries in one shape, and errors classified as not found, already exists,
 * permission denied by the OS, or denied by Deno's permission sandbox.
 */
import * as fsp from "node:fs/promises";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface FileInfo {
  readonly isFile: boolean;
  readonly isDirectory: boolean;
  readonly isSymlink: boolean;
  readonly size: number;
  readonly mtime: Date | null;
  readonly ino: number | null;
  readonly uid: number | null;
  readonly gid: number | null;
  readonly mode: number | null;
}

export interface DirEntry {
  readonly name: string;
  readonly isFile: boolean;
  readonly isDirectory: boolean;
  readonly isSymlink: boolean;
}

const codeOf = (e: unknown): string | undefined =>
  typeof e === "object" && e !== null ? (e as { code?: unknown }).code as string : undefined;
const nameOf = (e: unknown): string | undefined => e instanceof Error ? e.name : undefined;

/** The path does not exist (ENOENT, or Deno's `NotFound`). */
export const isNotFound = (e: unknown): boolean =>
  codeOf(e) === "ENOENT" || nameOf(e) === "NotFound";
/** The path exists already (EEXIST, or Deno's `AlreadyExists`). */
export const isAlreadyExists = (e: unknown): boolean =>
  codeOf(e) === "EEXIST" || nameOf(e) === "AlreadyExists";
/** The operating system refused (EACCES, EPERM, or Deno's `PermissionDenied`). */
export const isPermissionDenied = (e: unknown): boolean =>
  codeOf(e) === "EACCES" || codeOf(e) === "EPERM" || nameOf(e) === "PermissionDenied";
/** Deno's permission sandbox refused (`NotCapable`); never on Bun, which has no sandbox. */
export const isSandboxDenied = (e: unknown): boolean => nameOf(e) === "NotCapable";

const info = (s: fs.Stats): FileInfo => ({
  isFile: s.isFile(),
  isDirectory: s.isDirectory(),
  isSymlink: s.isSymbolicLink(),
  size: s.size,
  mtime: s.mtime ?? null,
  ino: s.ino ?? null,
  uid: s.uid ?? null,
  gid: s.gid ?? null,
  mode: s.mode ?? null,
});

const entry = (d: fs.Dirent): DirEntry => ({
  name: d.name,
  isFile: d.isFile(),
  isDirectory: d.isDirectory(),
  isSymlink: d.isSymbolicLink(),
});

export const readTextFile = (path: string | URL): Promise<string> => fsp.readFile(path, "utf8");
export const readTextFileSync = (path: string | URL): string => fs.readFileSync(path, "utf8");
export const readFile = async (path: string): Promise<Uint8Array<ArrayBuffer>> => {
  const b = await fsp.readFile(path);
  return new Uint8Array(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength);
};

export const writeTextFile = (
  path: string,
  text: string,
  options: { readonly append?: boolean } = {},
): Promise<void> => options.append ? fsp.appendFile(path, text) : fsp.writeFile(path, text);
/**
 * Writes a file; with `createNew` it fails (already exists) instead of replacing one, with
 * `append` it adds to the end (creating the file when missing).
 */
export const writeTextFileSync = (
  path: string,
  text: string,
  options: { readonly createNew?: boolean; readonly append?: boolean } = {},
): void =>
  fs.writeFileSync(path, text, { flag: options.createNew ? "wx" : options.append ? "a" : "w" });
export const writeFile = (path: string, bytes: Uint8Array): Promise<void> =>
  fsp.writeFile(path, bytes);

/** Creates a directory; without `recursive` it fails when the path exists. */
export const mkdir = async (
  path: string,
  options: { readonly recursive?: boolean } = {},
): Promise<void> => void await fsp.mkdir(path, { recursive: options.recursive ?? false });

export const mkdirSync = (path: string, options: { readonly recursive?: boolean } = {}): void =>
  void fs.mkdirSync(path, { recursive: options.recursive ?? false });

export const rename = (from: string, to: string): Promise<void> => fsp.rename(from, to);
export const renameSync = (from: string, to: string): void => fs.renameSync(from, to);

/** Removes a file or an empty directory, or with `recursive` a whole tree; missing fails. */
export const remove = async (
  path: string,
  options: { readonly recursive?: boolean } = {},
): Promise<void> => {
  if (options.recursive) return await fsp.rm(path, { recursive: true });
  const s = await fsp.lstat(path);
  if (s.isDirectory()) await fsp.rmdir(path);
  else await fsp.unlink(path);
};
export const removeSync = (path: string, options: { readonly recursive?: boolean } = {}): void => {
  if (options.recursive) return fs.rmSync(path, { recursive: true });
  if (fs.lstatSync(path).isDirectory()) fs.rmdirSync(path);
  else fs.unlinkSync(path);
};

export const stat = async (path: string): Promise<FileInfo> => info(await fsp.stat(path));
export const lstat = async (path: string): Promise<FileInfo> => info(await fsp.lstat(path));
export const statSync = (path: string): FileInfo => info(fs.statSync(path));
export const lstatSync = (path: string): FileInfo => info(fs.lstatSync(path));

/** Whether `path` exists (following links); any error counts as no. */
export const exists = (path: string): Promise<boolean> => stat(path).then(() => true, () => false);

/** The entries of a directory, in the order the OS gives them. */
export async function* readDir(path: string): AsyncIterable<DirEntry> {
  for (const d of await fsp.readdir(path, { withFileTypes: true })) yield entry(d);
}
export const readDirSync = (path: string): DirEntry[] =>
  fs.readdirSync(path, { withFileTypes: true }).map(entry);

export const realPath = (path: string): Promise<string> => fsp.realpath(path);
export const readLink = (path: string): Promise<string> => fsp.readlink(path);
export const copyFile = (from: string, to: string): Promise<void> => fsp.copyFile(from, to);
export const link = (from: string, to: string): Promise<void> => fsp.link(from, to);
export const linkSync = (from: string, to: string): void => fs.linkSync(from, to);

/** Sets access and modification times (a Date, or seconds since the epoch). */
export const utimeSync = (path: string, atime: Date | number, mtime: Date | number): void =>
  fs.utimesSync(path, atime, mtime);

/** A fresh directory `<dir>/<prefix>XXXXXX` (dir defaults to the system temp directory). */
export const makeTempDir = (
  options: { readonly prefix?: string; readonly dir?: string } = {},
): Promise<string> => fsp.mkdtemp(join(options.dir ?? tmpdir(), options.prefix ?? ""));
export const makeTempDirSync = (
  options: { readonly prefix?: string; readonly dir?: string } = {},
): string => fs.mkdtempSync(join(options.dir ?? tmpdir(), options.prefix ?? ""));

/** Reads a file in chunks of up to `chunk` bytes, without holding it whole in memory. */
export async function* readChunks(path: string, chunk = 1 << 20): AsyncIterable<Uint8Array> {
  const file = await fsp.open(path, "r");
  try {
    const buf = new Uint8Array(chunk);
    for (;;) {
      const { bytesRead } = await file.read(buf, 0, chunk, null);
      if (bytesRead === 0) break;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await file.close();
  }
}

/** A file opened for appending (created when missing). */
export interface AppendFile {
  readonly write: (bytes: Uint8Array) => Promise<void>;
  readonly close: () => Promise<void>;
}

export const openAppend = async (path: string): Promise<AppendFile> => {
  const file = await fsp.open(path, "a");
  return {
    write: async (bytes) => {
      for (let at = 0; at < bytes.length;) {
        at += (await file.write(bytes, at, bytes.length - at)).bytesWritten;
      }
    },
    close: () => file.close(),
  };
};
