/**
 * The Bun binary for the cross-runtime tests (docs/bun.md#cache-keys): `DIFFRUN_BUN`, else `bun`
 * on PATH, else undefined (the tests skip with the message of `skipWithoutBun`). Deno-only: the
 * tests drive Bun as a subprocess.
 */
import { join, resolve } from "node:path";
import { projectRoot } from "../core/helpers.ts";

const findBun = (): string | undefined => {
  const configured = Deno.env.get("DIFFRUN_BUN");
  if (configured) return configured;
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (dir && Deno.statSync(join(dir, "bun")).isFile) return join(dir, "bun");
    } catch {
      // not here
    }
  }
  return undefined;
};

export const bun: string | undefined = findBun();

/** Says once why the tests of `file` skip when Bun is missing. */
export const skipWithoutBun = (file: string): void => {
  if (bun !== undefined) return;
  console.log(
    `${file}: skipped: bun not found (set DIFFRUN_BUN or put bun on PATH; ` +
      "`npx -y bun@1.4.5` installs it)",
  );
};

/** `bun run src/cli/main.ts <args>` from the project root. */
export const bunCli = (args: string[], stdio: { stdout?: "piped" | "null" } = {}) =>
  new Deno.Command(bun!, {
    args: ["run", resolve(projectRoot, "src/cli/main.ts"), ...args],
    cwd: projectRoot,
    stdout: stdio.stdout ?? "piped",
    stderr: "piped",
  });
