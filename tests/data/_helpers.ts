/** Shared helpers for the data-layer tests that need no sharp: temp directories, value checks. */

/** A fresh temporary directory, removed by the returned `cleanup`. */
export async function tempDir(
  prefix = "diffrun-data-",
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix });
  return { dir, cleanup: () => Deno.remove(dir, { recursive: true }) };
}

/** The float32 value in [-1, 1] that a byte maps to. */
export const u = (b: number): number => Math.fround(b / 127.5 - 1);
