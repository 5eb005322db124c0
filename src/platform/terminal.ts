/** Writing to standard output, and what the terminal is (a TTY, how wide). */
import { writeSync } from "node:fs";
import process from "node:process";
import { isatty } from "node:tty";
import { isDeno } from "./runtime.ts";

const encoder = new TextEncoder();

/** Writes `text` to stdout synchronously (no interleaving with later writes). */
export const writeStdout = (text: string): void => {
  const bytes = encoder.encode(text);
  if (isDeno()) {
    for (let at = 0; at < bytes.length;) at += Deno.stdout.writeSync(bytes.subarray(at));
    return;
  }
  for (let at = 0; at < bytes.length;) at += writeSync(1, bytes, at);
};

export const stdoutIsTerminal = (): boolean => isDeno() ? Deno.stdout.isTerminal() : isatty(1);
export const stderrIsTerminal = (): boolean => isDeno() ? Deno.stderr.isTerminal() : isatty(2);

/** Width of the terminal in columns; `fallback` when stdout is not one. */
export const terminalColumns = (fallback = 100): number => {
  try {
    if (isDeno()) return Deno.consoleSize().columns;
    return process.stdout.columns || fallback;
  } catch {
    return fallback;
  }
};
