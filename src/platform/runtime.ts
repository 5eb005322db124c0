/**
 * Which JavaScript runtime runs diffrun (Deno or Bun), and its version.
 *
 * `src/platform/` is the one place that knows the runtime: everything else asks these modules.
 * Bun's globals are reached through `globalThis` so that `deno check` needs no Bun types.
 */
import process from "node:process";

export type RuntimeName = "deno" | "bun";

interface BunGlobal {
  readonly version: string;
  readonly revision?: string;
}

/** Bun's global object, or undefined on Deno. */
export const bunGlobal = (): BunGlobal | undefined => (globalThis as { Bun?: BunGlobal }).Bun;

/** Deno, unless Bun's global is there (a test shim may define a `Deno` object under Bun). */
export const isDeno = (): boolean =>
  bunGlobal() === undefined && typeof (globalThis as { Deno?: unknown }).Deno === "object";

export const runtimeName = (): RuntimeName => isDeno() ? "deno" : "bun";

/** Version of the runtime itself ("2.9.6", "1.4.5"). */
export const runtimeVersion = (): string =>
  isDeno() ? Deno.version.deno : bunGlobal()?.version ?? "";

/** The versions a run manifest records: runtime name and version, and its JavaScript engine. */
export const runtimeVersions = (): Record<string, string> =>
  isDeno()
    ? {
      name: "deno",
      deno: Deno.version.deno,
      v8: Deno.version.v8,
      typescript: Deno.version.typescript,
    }
    : { name: "bun", bun: runtimeVersion(), webkit: process.versions.webkit ?? "" };

const ARCH: Record<string, string> = { x64: "x86_64", arm64: "aarch64" };

/** `linux-x86_64` style: operating system and CPU architecture, the same on both runtimes. */
export const osArch = (): string =>
  isDeno()
    ? `${Deno.build.os}-${Deno.build.arch}`
    : `${process.platform}-${ARCH[process.arch] ?? process.arch}`;

export const isLinux = (): boolean => process.platform === "linux";
