/**
 * Users of the repository have no SPEC.md, ENGINE.md or ../shared: comments and the README cite
 * docs/ instead. This scans the code folders and the README for such citations.
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";

const root = new URL("../../", import.meta.url).pathname;
const FOLDERS = ["src", "pipelines", "experiments", "bench"];
const OUTSIDE = /SPEC\.md|ENGINE\.md|\.\.\/shared\b/;

const files = async (dir: string): Promise<string[]> => {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) out.push(...await files(path));
    else if (/\.(ts|py|sh)$/.test(e.name)) out.push(path);
  }
  return out;
};

Deno.test("src/, pipelines/, experiments/, bench/ and README.md cite nothing outside the repository", async () => {
  const paths = [join(root, "README.md")];
  for (const f of FOLDERS) paths.push(...await files(join(root, f)));
  const found: string[] = [];
  for (const path of paths) {
    (await Deno.readTextFile(path)).split("\n").forEach((line, i) => {
      if (OUTSIDE.test(line)) found.push(`${relative(root, path)}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(found, [], `cite docs/ instead:\n${found.join("\n")}`);
});
