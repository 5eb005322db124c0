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

export const RUNNING_LOCK = "running.lock";

/** Takes the liveness lock of a fresh run folder; `release` when the run is over. */
export const holdRunLock = async (dir: string) => {
  const path = join(dir, RUNNING_LOCK);
  const file = await Deno.open(path, { create: true, write: true });
  // a fresh folder: nobody else has it. Without flock (some network filesystems) the run goes on
  // without a liveness lock, and later runs leave its folder alone whatever becomes of it.
  if (!(await file.tryLock(true).catch(() => false))) {
    file.close();
    await Deno.remove(path).catch(() => undefined);
    return { release: () => Promise.resolve() };
  }
  await file.write(new TextEncoder().encode(`${Deno.pid} ${hostname()}\n`));
  return {
    release: async () => {
      await Deno.remove(path).catch(() => undefined);
      file.close();
    },
  };
};

/** Marks those of `runDirs` whose process died `interrupted`; returns them. */
export const markDeadRuns = async (runDirs: readonly string[]): Promise<string[]> => {
  const marked: string[] = [];
  for (const dir of runDirs) {
    const path = join(dir, RUNNING_LOCK);
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { read: true, write: true });
    } catch {
      continue; // finished, or made before run folders had a liveness lock
    }
    try {
      if (!(await file.tryLock(true))) continue; // alive
      const manifestPath = join(dir, "manifest.json");
      const manifest = JSON.parse(await Deno.readTextFile(manifestPath));
      if (manifest?.process?.hostname !== hostname()) continue;
      if (manifest.status === "running") {
        manifest.status = "interrupted";
        manifest.interruptedBy = "its process died (found by a later run)";
        const tmp = `${manifestPath}.${crypto.randomUUID().slice(0, 8)}.tmp`;
        await Deno.writeTextFile(tmp, JSON.stringify(manifest, null, 2) + "\n");
        await Deno.rename(tmp, manifestPath);
        marked.push(dir);
      }
      await Deno.remove(path).catch(() => undefined);
    } catch {
      // an unreadable manifest is not ours to fix; leave the folder as it is
    } finally {
      file.close();
    }
  }
  return marked;
};
