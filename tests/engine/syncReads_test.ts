/**
 * No synchronous tensor reads in library code: on the webgpu backend under Deno, `dataSync()` /
 * `arraySync()` of a GPU tensor throws, so src/ reads through src/tensor/read.ts. This scans
 * every source file outside src/engine/ (the backends themselves) for the two calls.
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";

const root = new URL("../../", import.meta.url).pathname;

/**
 * The allow-list, one line each with why: `path` → how many synchronous reads it may hold.
 */
const ALLOWED: Readonly<Record<string, number>> = {
  // timesteps passed as a tensor: a few numbers the caller built on the host; the library
  // itself always passes arrays
  "src/diffusion/noising.ts": 1,
  // (on main after the data-samplers merge) measureSampler() reads its [n, 1] samples; it runs
  // the analytic denoiser for bench/samplerAccuracy.ts and tests; make it async for webgpu
  "src/diffusion/analyticData.ts": 1,
};

const SYNC_READ = /\.(dataSync|arraySync)\s*\(/g;

const sourceFiles = async (dir: string): Promise<string[]> => {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) out.push(...await sourceFiles(path));
    else if (e.name.endsWith(".ts")) out.push(path);
  }
  return out;
};

/** Counts code (not comment) occurrences of a synchronous read. */
const countSyncReads = (text: string): number =>
  text.split("\n")
    .filter((line) => !/^\s*(\/\/|\*|\/\*)/.test(line))
    .map((line) => line.replace(/\/\/.*$/, ""))
    .reduce((n, line) => n + (line.match(SYNC_READ)?.length ?? 0), 0);

Deno.test("countSyncReads() finds calls and ignores comments", () => {
  assert.equal(countSyncReads("const a = t.dataSync();\nconst b = u.arraySync ();"), 2);
  assert.equal(countSyncReads(" * comes back from `dataSync()`\n// x.dataSync()"), 0);
});

Deno.test("src/ outside src/engine/ does no synchronous tensor read beyond the allow-list", async () => {
  const found: string[] = [];
  for (const path of await sourceFiles(join(root, "src"))) {
    const rel = relative(root, path);
    if (rel.startsWith("src/engine/")) continue;
    const n = countSyncReads(await Deno.readTextFile(path));
    if (n > (ALLOWED[rel] ?? 0)) found.push(`${rel}: ${n} (allowed ${ALLOWED[rel] ?? 0})`);
  }
  assert.deepEqual(
    found,
    [],
    `synchronous reads (dataSync/arraySync) throw on webgpu; use readTensor() from ` +
      `src/tensor/read.ts:\n${found.join("\n")}`,
  );
});
