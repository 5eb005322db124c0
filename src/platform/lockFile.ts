/**
 * A file holding an exclusive OS lock (`flock(2)`, non-blocking), for the store's key locks and a
 * run's liveness lock. Deno has `FsFile.tryLock`; on Bun the lock is taken through libc's flock.
 */
import * as fs from "node:fs";
import { isDeno } from "./runtime.ts";
import { libc, prepareFfi } from "./ffi.ts";

export interface LockFile {
  /** Takes the exclusive lock without waiting: true when taken, false when someone holds it. */
  readonly tryLock: () => Promise<boolean>;
  /** Inode of the open file (null where the OS has none). */
  readonly ino: () => Promise<number | null>;
  /** Replaces the whole content with `bytes` (write from the start, then cut). */
  readonly overwrite: (bytes: Uint8Array) => Promise<void>;
  /** Closes the file, dropping the lock; closing again does nothing. */
  readonly close: () => void;
}

const LOCK_EX = 2, LOCK_NB = 4, EWOULDBLOCK = 11;

const openDeno = async (path: string, create: boolean): Promise<LockFile> => {
  const file = await Deno.open(path, { read: true, write: true, create });
  let closed = false;
  return {
    tryLock: () => file.tryLock(true),
    ino: async () => (await file.stat()).ino,
    overwrite: async (bytes) => {
      await file.seek(0, Deno.SeekMode.Start);
      for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
      await file.truncate(bytes.length);
    },
    close: () => {
      if (closed) return;
      closed = true;
      file.close();
    },
  };
};

const openNode = async (path: string, create: boolean): Promise<LockFile> => {
  await prepareFfi();
  // a raw descriptor with synchronous calls: close() must drop the lock before it returns
  const fd = fs.openSync(path, fs.constants.O_RDWR | (create ? fs.constants.O_CREAT : 0), 0o644);
  let closed = false;
  return {
    tryLock: () => {
      const flock = libc()?.flock;
      if (flock === undefined) {
        return Promise.reject(new Error("flock is unavailable (no libc FFI in this runtime)"));
      }
      const errno = flock(fd, LOCK_EX | LOCK_NB);
      if (errno === 0) return Promise.resolve(true);
      if (errno === EWOULDBLOCK) return Promise.resolve(false);
      return Promise.reject(new Error(`flock failed with errno ${errno}`));
    },
    ino: () => Promise.resolve(fs.fstatSync(fd).ino),
    overwrite: (bytes) => {
      for (let at = 0; at < bytes.length;) at += fs.writeSync(fd, bytes, at, bytes.length - at, at);
      fs.ftruncateSync(fd, bytes.length);
      return Promise.resolve();
    },
    close: () => {
      if (closed) return;
      closed = true;
      fs.closeSync(fd);
    },
  };
};

/** Opens `path` for reading and writing (creating it when `create`), without locking it yet. */
export const openLockFile = (path: string, create: boolean): Promise<LockFile> =>
  isDeno() ? openDeno(path, create) : openNode(path, create);
