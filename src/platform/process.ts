/**
 * The process: arguments, environment, identity, exit. Built on `node:process` and `node:os`,
 * which both runtimes provide.
 */
import process from "node:process";
import { hostname as osHostname } from "node:os";
import { isDeno } from "./runtime.ts";

/** The command-line arguments after the script. */
export const args = (): string[] => isDeno() ? [...Deno.args] : process.argv.slice(2);

/**
 * An environment variable, or undefined. A variable the sandbox does not let us read (Deno's
 * `--allow-env=` list) counts as unset.
 */
export const envGet = (name: string): string | undefined => {
  try {
    return isDeno() ? Deno.env.get(name) : process.env[name];
  } catch {
    return undefined;
  }
};

export const envSet = (name: string, value: string): void => {
  if (isDeno()) Deno.env.set(name, value);
  else process.env[name] = value;
};

export const cwd = (): string => process.cwd();
export const pid = (): number => process.pid;
export const hostname = (): string => osHostname();
export const uid = (): number | null => process.getuid?.() ?? null;
export const gid = (): number | null => process.getgid?.() ?? null;

/** Absolute path of the runtime's binary (deno or bun). */
export const execPath = (): string => isDeno() ? Deno.execPath() : process.execPath;

export const memoryUsage = (): { rss: number; heapUsed: number; external: number } => {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external };
};

export const exit = (code: number): never => isDeno() ? Deno.exit(code) : process.exit(code);

/** Kills this process at once with SIGKILL (crash tests). */
export const killSelf = (): void => void process.kill(process.pid, "SIGKILL");
