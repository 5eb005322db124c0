/**
 * Starting other programs (git, Slurm's commands). A Slurm job re-runs the CLI with the runtime
 * running now: `jobCommand` (src/executor/setup.ts) takes `execPath()` of process.ts, and Deno's
 * permission flags only under Deno.
 */
import { Buffer } from "node:buffer";
import { spawn } from "node:child_process";
import process from "node:process";
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
