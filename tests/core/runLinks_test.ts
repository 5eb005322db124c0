import assert from "node:assert/strict";
import { join } from "node:path";
import { linkFiles, linkTree } from "../../src/core/runLinks.ts";

/** An artifact folder with a nested file, a top-level file and the runner's own folder. */
const artifact = async () => {
  const root = await Deno.makeTempDir({ prefix: "diffrun-links-" });
  const from = join(root, "from");
  await Deno.mkdir(join(from, "samples", "grid"), { recursive: true });
  await Deno.mkdir(join(from, "_diffrun"));
  await Deno.writeTextFile(join(from, "value.json"), "1\n");
  await Deno.writeTextFile(join(from, "samples", "grid", "a.png"), "png");
  await Deno.writeTextFile(join(from, "_diffrun", "log.txt"), "runner");
  return { root, from, files: ["_diffrun/log.txt", "samples/grid/a.png", "value.json"] };
};

const listing = async (dir: string, rel = ""): Promise<string[]> => {
  const out: string[] = [];
  for await (const e of Deno.readDir(join(dir, rel))) {
    const child = rel === "" ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory) out.push(...await listing(dir, child));
    else out.push(child);
  }
  return out.sort();
};

Deno.test("linkFiles() hard-links the listed files, nested folders made, _diffrun left out", async () => {
  const { root, from, files } = await artifact();
  const to = join(root, "run");
  await linkFiles(from, to, files);
  assert.deepEqual(await listing(to), ["samples/grid/a.png", "value.json"]);
  const [a, b] = await Promise.all([
    Deno.stat(join(from, "samples/grid/a.png")),
    Deno.stat(join(to, "samples/grid/a.png")),
  ]);
  assert.equal(a.ino, b.ino, "a hard link, not a copy");
  // the same as walking the folder
  const walked = join(root, "walked");
  await linkTree(from, walked);
  assert.deepEqual(await listing(walked), await listing(to));
  await Deno.remove(root, { recursive: true });
});

Deno.test("linkFiles() replaces a file already at the destination", async () => {
  const { root, from, files } = await artifact();
  const to = join(root, "run");
  await Deno.mkdir(to);
  await Deno.writeTextFile(join(to, "value.json"), "stale\n");
  await linkFiles(from, to, files);
  assert.equal(await Deno.readTextFile(join(to, "value.json")), "1\n");
  await Deno.remove(root, { recursive: true });
});
