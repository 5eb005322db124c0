/**
 * The project's pinned npm dependencies, read from `package.json` (`dependencies`, exact
 * versions): the one dependency manifest that Deno and Bun both read, and a committed lock for
 * each (deno.lock, bun.lock).
 *
 * A bare specifier resolves to the `npm:` form Deno's import maps wrote (`effect` →
 * `npm:effect@4.1.0`, `effect/Effect` → `npm:/effect@4.1.0/Effect`), which enters the cache key
 * of a stage that imports it: a version bump of a package a stage uses changes its key.
 */
import { resolve } from "node:path";
import * as fsys from "../platform/fs.ts";

/** Package name → pinned version; empty when `root` has no readable package.json. */
export const pinnedDependencies = (root: string): Readonly<Record<string, string>> => {
  try {
    const manifest = JSON.parse(fsys.readTextFileSync(resolve(root, "package.json")));
    const deps: unknown = manifest?.dependencies;
    if (typeof deps !== "object" || deps === null) return {};
    return Object.fromEntries(
      Object.entries(deps).filter((e): e is [string, string] => typeof e[1] === "string"),
    );
  } catch {
    return {};
  }
};

/** The package a bare specifier names (`@scope/name` or `name`) and the subpath after it. */
export const splitSpecifier = (spec: string): { name: string; subpath: string } => {
  const parts = spec.split("/");
  const n = spec.startsWith("@") ? 2 : 1;
  return { name: parts.slice(0, n).join("/"), subpath: parts.slice(n).join("/") };
};

/** Resolves bare specifiers against `pinnedDependencies(root)`; unknown ones stay as written. */
export const dependencyResolver = (root: string): (spec: string) => string => {
  const pinned = pinnedDependencies(root);
  return (spec) => {
    const { name, subpath } = splitSpecifier(spec);
    const version = pinned[name];
    if (version === undefined) return spec;
    return subpath === "" ? `npm:${name}@${version}` : `npm:/${name}@${version}/${subpath}`;
  };
};
