/**
 * Imported before playwright-core: at load time it probes a few /proc paths with
 * fs.existsSync (to detect WSL), and Deno answers /proc probes without --allow-all by throwing
 * NotCapable instead of returning false. Here such a probe answers "does not exist", so the
 * browser tests run under the test task's scoped permissions.
 */
import fs from "node:fs";

const existsSync = fs.existsSync;
fs.existsSync = (path: fs.PathLike): boolean => {
  try {
    return existsSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) return false;
    throw e;
  }
};
