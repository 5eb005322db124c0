/**
 * Starting other programs (git, Slurm's commands) and diffrun itself again with the same runtime.
 */
import { Buffer } from "node:buffer";
import { spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { execPath } from "./process.ts";
import { isDeno } from "./runtime.ts";

export interface CommandOutput {
  readonly code: number;
  readonly success: boolean;
  readonly stdout: Uint8Array;
  readonly stderr: Uint8Array;
}

export interface CommandOptions {
  readonly args?: readonly string[];
  readonly cwd?: string;
  readonly env?: Record<string, string>;
}

/**
 * Runs `command` to completion with stdin closed, collecting stdout and stderr. Rejects when it
 * cannot be started (see `isNotFound` / `isSandboxDenied` / `isPermissionDenied` of fs.ts).
 */
export const runCommand = async (
  command: string,
  options: CommandOptions = {},
): Promise<CommandOutput> => {
  if (isDeno()) {
    const out = await new Deno.Command(command, {
      args: [...options.args ?? []],
      ...(options.cwd ? { cwd: options.cwd } : {}),
      ...(options.env ? { env: options.env } : {}),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: out.code, success: out.success, stdout: out.stdout, stderr: out.stderr };
  }
  return await new Promise<CommandOutput>((resolve, reject) => {
    const child = spawn(command, [...options.args ?? []], {
      ...(options.cwd ? { cwd: options.cwd } : {}),
      ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Uint8Array[] = [], err: Uint8Array[] = [];
    child.stdout!.on("data", (b: Uint8Array) => out.push(b));
    child.stderr!.on("data", (b: Uint8Array) => err.push(b));
    child.on("error", reject);
    child.on("close", (code) => {
      const cat = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
      resolve({ code: code ?? 1, success: code === 0, stdout: cat(out), stderr: cat(err) });
    });
  });
};

/** `src/cli/main.ts` of this checkout. */
export const cliMainPath = (): string => fileURLToPath(new URL("../cli/main.ts", import.meta.url));

/**
 * The command line that runs the diffrun CLI again with the runtime running now: on Deno
 * `deno run <permissions> main.ts`, on Bun `bun run main.ts` (Bun has no permission flags).
 */
export const selfCommand = (permissions: readonly string[]): string[] =>
  isDeno()
    ? [execPath(), "run", "-q", ...permissions, cliMainPath()]
    : [execPath(), "run", cliMainPath()];
