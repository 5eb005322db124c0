/**
 * The layering of src/: core imports nothing above it, and no two folders import each other
 * (directly or round a longer loop). Read from the sources' import statements.
 */
import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { projectRoot } from "./helpers.ts";

const src = join(projectRoot, "src");

const sourceFiles = (dir: string): string[] =>
  [...Deno.readDirSync(dir)].flatMap((e) =>
    e.isDirectory
      ? sourceFiles(join(dir, e.name))
      : e.name.endsWith(".ts")
      ? [join(dir, e.name)]
      : []
  );

/** Specifiers of static imports and re-exports, and of `import("…")` with a literal. */
export const importsOf = (code: string): string[] => {
  const out: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*["']([^"']+)["']/gm,
    /^\s*import\s*["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) out.push(m[1]!);
  return out;
};

/** The src/ folder (`core`, `report`, …) a local specifier of `file` lands in; null for packages. */
const folderOf = (file: string, specifier: string): string | null => {
  if (!specifier.startsWith(".")) return null;
  const target = relative(src, resolve(dirname(file), specifier));
  return target.startsWith("..") ? "<outside src>" : target.split("/")[0]!;
};

Deno.test("importsOf() finds static, re-exported, side-effect and literal dynamic imports", () => {
  const code = [
    `import * as v from "valibot";`,
    `import {\n  a,\n  type B,\n} from "../report/x.ts";`,
    `export { RUNNER_DIR } from "./runnerFiles.ts";`,
    `import "./side.ts";`,
    `const m = await import("../executor/y.ts");`,
    `// from "./commented" is not an import`,
  ].join("\n");
  assert.deepEqual(importsOf(code).sort(), [
    "../executor/y.ts",
    "../report/x.ts",
    "./runnerFiles.ts",
    "./side.ts",
    "valibot",
  ]);
});

// the runtime layer (src/platform/, imports nothing of src/) and, above it, the store and the
// seeded generators (they import nothing of src/ but the platform)
const PLATFORM = "platform";
const LEAVES = ["store", "random"];
const BELOW_CORE = new Set(["core", ...LEAVES, PLATFORM]);

Deno.test("src/core/ imports only src/core/, src/store/, src/random/, src/platform/ and packages", () => {
  const offending: string[] = [];
  for (const file of sourceFiles(join(src, "core"))) {
    for (const spec of importsOf(Deno.readTextFileSync(file))) {
      const folder = folderOf(file, spec);
      if (folder !== null && !BELOW_CORE.has(folder)) {
        offending.push(`${relative(projectRoot, file)} imports ${spec}`);
      }
    }
  }
  assert.deepEqual(offending, []);
});

Deno.test("src/store/ and src/random/ import only src/platform/, which imports nothing of src/", () => {
  const offending = [...LEAVES, PLATFORM].flatMap((leaf) =>
    sourceFiles(join(src, leaf)).flatMap((file) =>
      importsOf(Deno.readTextFileSync(file))
        .filter((spec) => {
          const folder = folderOf(file, spec);
          return folder !== null && folder !== leaf && (leaf === PLATFORM || folder !== PLATFORM);
        })
        .map((spec) => `${relative(projectRoot, file)} imports ${spec}`)
    )
  );
  assert.deepEqual(offending, []);
});

Deno.test("no import cycle runs across src/ folders", () => {
  const edges = new Map<string, Set<string>>();
  for (const file of sourceFiles(src)) {
    const from = relative(src, file).split("/")[0]!;
    for (const spec of importsOf(Deno.readTextFileSync(file))) {
      const to = folderOf(file, spec);
      if (to === null || to === from) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)!.add(to);
    }
  }
  // depth-first search; a grey node reached again closes a cycle
  const colour = new Map<string, "grey" | "black">();
  const cycles: string[] = [];
  const visit = (node: string, path: string[]) => {
    colour.set(node, "grey");
    for (const next of edges.get(node) ?? []) {
      if (colour.get(next) === "grey") {
        cycles.push([...path.slice(path.indexOf(next)), node, next].join(" → "));
      } else if (!colour.has(next)) visit(next, [...path, node]);
    }
    colour.set(node, "black");
  };
  for (const node of edges.keys()) if (!colour.has(node)) visit(node, []);
  assert.deepEqual(cycles, []);
});
