/**
 * Telling a live run folder from one whose process died, so that a killed run does not say
 * `running` forever.
 *
 * A run holds an exclusive OS-level lock (flock) on `<run>/running.lock` from the moment its folder
 * exists until its manifest is final; the kernel drops that lock when the process dies, however
 * it dies. The manifest records the process (`process: { pid, hostname }`). When a results root
 * is next used by a run, every folder that still has `running.lock` is probed: if the lock can be
 * taken, and the folder was made on this host (another host's lock may not be visible here), the
 * run is dead and its manifest is rewritten with status `interrupted`.
 */
import { join } from "node:path";
import { hostname } from "node:os";
import { type LockFile, openLockFile } from "../platform/lockFile.ts";
import * as fsys from "../platform/fs.ts";
import * as proc from "../platform/process.ts";

export const RUNNING_LOCK = "running.lock";

/** Takes the liveness lock of a fresh run folder; `release` when the run is over. */
export const holdRunLock = async (dir: string) => {
  const path = join(dir, RUNNING_LOCK);
  const file = await openLockFile(path, true);
  // a fresh folder: nobody else has it. Without flock (some network filesystems) the run goes on
  // without a liveness lock, and later runs leave its folder alone whatever becomes of it.
  if (!(await file.tryLock().catch(() => false))) {
    file.close();
    await fsys.remove(path).catch(() => undefined);
    return { release: () => Promise.resolve() };
  }
  await file.overwrite(new TextEncoder().encode(`${proc.pid()} ${hostname()}\n`));
  return {
    release: async () => {
      await fsys.remove(path).catch(() => undefined);
      file.close();
    },
  };
};

/** Marks those of `runDirs` whose process died `interrupted`; returns them. */
export const markDeadRuns = async (runDirs: readonly string[]): Promise<string[]> => {
  const marked: string[] = [];
  for (const dir of runDirs) {
    const path = join(dir, RUNNING_LOCK);
    let file: LockFile;
    try {
      file = await openLockFile(path, false);
    } catch {
      continue; // finished, or made before run folders had a liveness lock
    }
    try {
      if (!(await file.tryLock())) continue; // alive
      const manifestPath = join(dir, "manifest.json");
      const manifest = JSON.parse(await fsys.readTextFile(manifestPath));
      if (manifest?.process?.hostname !== hostname()) continue;
      if (manifest.status === "running") {
        manifest.status = "interrupted";
        manifest.interruptedBy = "its process died (found by a later run)";
        const tmp = `${manifestPath}.${crypto.randomUUID().slice(0, 8)}.tmp`;
        await fsys.writeTextFile(tmp, JSON.stringify(manifest, null, 2) + "\n");
        await fsys.rename(tmp, manifestPath);
        marked.push(dir);
      }
      await fsys.remove(path).catch(() => undefined);
    } catch {
      // an unreadable manifest is not ours to fix; leave the folder as it is
    } finally {
      file.close();
    }
  }
  return marked;
};
