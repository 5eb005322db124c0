/**
 * Every relative link in README.md and the markdown under docs/ points at a file of the
 * repository, and every anchor into a markdown file (docs/methods.md#weightings and the like)
 * names one of its headings. The anchors that source comments cite must exist in docs/methods.md.
 */
import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { headingAnchors, headingSlug, isExternal, markdownLinks } from "./markdownLinks.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** README.md and every .md file under docs/, as paths relative to the repository root. */
async function documentationFiles(): Promise<string[]> {
  const files = ["README.md"];
  const walk = async (dir: string): Promise<void> => {
    for await (const entry of Deno.readDir(join(root, dir))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile && entry.name.endsWith(".md")) files.push(path);
    }
  };
  await walk("docs");
  return files.sort();
}

const exists = (path: string): boolean => {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
};

const anchorCache = new Map<string, Set<string>>();
const anchorsOf = (path: string): Set<string> => {
  let anchors = anchorCache.get(path);
  if (anchors === undefined) {
    anchors = headingAnchors(Deno.readTextFileSync(path));
    anchorCache.set(path, anchors);
  }
  return anchors;
};

/** What is wrong with one link of `file`, or null when it resolves. */
function brokenLink(file: string, target: string): string | null {
  if (isExternal(target)) return null;
  const [pathPart = "", anchor] = target.split("#", 2) as [string, string | undefined];
  if (pathPart.startsWith("/")) return "absolute path (use a path relative to the file)";
  const path = pathPart === "" ? join(root, file) : resolve(dirname(join(root, file)), pathPart);
  if (!path.startsWith(root + "/") && path !== root) return "points outside the repository";
  if (!exists(path)) return `no such file: ${relative(root, path)}`;
  if (anchor !== undefined && path.endsWith(".md") && !anchorsOf(path).has(anchor)) {
    return `no heading with anchor #${anchor} in ${relative(root, path)}`;
  }
  return null;
}

Deno.test("markdownLinks() finds links and images but skips fenced code and code spans", () => {
  const text = [
    'See [methods](docs/methods.md#anova) and ![plot](a/b.png "title").',
    "```sh",
    "[not a link](nowhere.md)",
    "```",
    "`[code](skipped.md)` then [x](<with space.md>)",
  ].join("\n");
  assert.deepEqual(markdownLinks(text), [
    { target: "docs/methods.md#anova", line: 1 },
    { target: "a/b.png", line: 1 },
    { target: "with space.md", line: 5 },
  ]);
});

Deno.test("headingSlug() and headingAnchors() follow GitHub's anchors", () => {
  assert.deepEqual(headingSlug("DMD loss"), "dmd-loss");
  assert.deepEqual(headingSlug("FD-clf"), "fd-clf");
  assert.deepEqual(
    headingSlug("Measured: `quick`, target (a) (one seed)"),
    "measured-quick-target-a-one-seed",
  );
  assert.deepEqual(
    [...headingAnchors("# A\n## Notes\n```\n# not a heading\n```\n## Notes\n")],
    ["a", "notes", "notes-1"],
  );
});

Deno.test("isExternal() tells URLs from repository paths", () => {
  assert.ok(isExternal("https://arxiv.org/abs/2303.09556"));
  assert.ok(isExternal("mailto:someone@example.org"));
  assert.ok(!isExternal("docs/methods.md#anova"));
  assert.ok(!isExternal("#anchors"));
});

Deno.test("README.md and docs/: every relative link points at an existing file and heading", async () => {
  const files = await documentationFiles();
  assert.ok(files.includes("docs/methods.md"), "docs/methods.md is missing");
  const broken: string[] = [];
  for (const file of files) {
    for (const link of markdownLinks(Deno.readTextFileSync(join(root, file)))) {
      const why = brokenLink(file, link.target);
      if (why !== null) broken.push(`${file}:${link.line}: ${link.target}: ${why}`);
    }
  }
  assert.deepEqual(broken, [], `broken links:\n${broken.join("\n")}`);
});

Deno.test("docs/methods.md has a heading for every anchor that source comments cite", () => {
  const anchors = anchorsOf(join(root, "docs", "methods.md"));
  const cited = [
    "schedules",
    "targets",
    "weightings",
    "samplers",
    "dmd-loss",
    "anova",
    "fd-clf",
    "confidence-intervals",
    "adapters",
    "replicates",
  ];
  assert.deepEqual(cited.filter((a) => !anchors.has(a)), []);
});
