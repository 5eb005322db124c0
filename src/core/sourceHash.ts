/**
 * The code ingredient of a cache key: a hash of a module's source and of its local imports.
 *
 * Comments and whitespace runs are stripped before hashing, so editing a comment or re-indenting
 * does not invalidate hours of training; any change to code tokens does. Relative imports are
 * followed recursively; bare specifiers (npm packages) enter resolved through the project's
 * pinned dependencies (package.json, dependencies.ts), so a version bump of a package a stage uses changes its key. Files
 * outside the import closure never matter.
 */
import { createHash } from "node:crypto";
import { dirname, relative, resolve } from "node:path";
import { fromFileUrl } from "./paths.ts";
import { dependencyResolver } from "./dependencies.ts";
import * as fsys from "../platform/fs.ts";

/**
 * Removes comments and collapses whitespace outside string, template and regex literals.
 * A small lexer, not a parser: it only needs to tell comments from literals.
 */
export const stripComments = (src: string): string => {
  // the output is kept in pieces (joined once at the end) plus its last characters, so that
  // looking back never flattens a long string
  const pieces: string[] = [];
  let tail = ""; // the output's last 16 characters
  let i = 0;
  let pendingSpace = false;
  // Whether a `/` here would start a regex (after an operator or keyword) rather than divide.
  // Only the output's tail matters: the longest keyword is 6 characters, and `\b` needs one more.
  const regexAllowed = () => {
    const short = tail.trimEnd();
    const t = short.length >= 8 || pieces.length === 0 || tail.length < 16
      ? short
      : pieces.join("").trimEnd();
    if (t === "") return true;
    const last = t[t.length - 1]!;
    if ("([{,;:=!&|?+-*%<>~^".includes(last)) return true;
    return /\b(return|typeof|case|do|else|in|of|new|delete|void|throw|yield|await)$/.test(t);
  };
  const append = (s: string) => {
    pieces.push(s);
    tail = s.length >= 16 ? s.slice(-16) : (tail + s).slice(-16);
  };
  const emit = (s: string) => {
    if (pendingSpace && tail !== "") {
      const a = tail[tail.length - 1]!;
      const b = s[0]!;
      // keep a single space only where two word characters would otherwise merge
      if (/[\w$]/.test(a) && /[\w$]/.test(b)) append(" ");
    }
    pendingSpace = false;
    append(s);
  };
  // a run of characters that start nothing (no comment, literal or whitespace) is copied at once
  const plain = /[^/\s"'`]+/y;
  const space = /\s+/y;
  const closing: Record<string, RegExp> = { '"': /["\\]/g, "'": /['\\]/g, "`": /[`\\]/g };
  while (i < src.length) {
    const c = src[i]!;
    const next = src[i + 1];
    if (c === "/" && next === "/") {
      while (i < src.length && src[i] !== "\n") i++;
      pendingSpace = true;
    } else if (c === "/" && next === "*") {
      const end = src.indexOf("*/", i + 2);
      i = end < 0 ? src.length : end + 2;
      pendingSpace = true;
    } else if (/\s/.test(c)) {
      space.lastIndex = i;
      space.test(src);
      i = space.lastIndex;
      pendingSpace = true;
    } else if (c === '"' || c === "'" || c === "`") {
      // the closing quote: the next one not escaped by a backslash
      const stop = closing[c]!;
      let j = i + 1;
      for (;;) {
        stop.lastIndex = j;
        if (!stop.test(src)) {
          j = src.length;
          break;
        }
        j = stop.lastIndex - 1;
        if (src[j] === c) break;
        j += 2;
        if (j >= src.length) break;
      }
      emit(src.slice(i, j + 1));
      i = j + 1;
    } else if (c === "/" && regexAllowed()) {
      let j = i + 1;
      let inClass = false;
      while (j < src.length && src[j] !== "\n" && (src[j] !== "/" || inClass)) {
        if (src[j] === "\\") j++;
        else if (src[j] === "[") inClass = true;
        else if (src[j] === "]") inClass = false;
        j++;
      }
      j++;
      while (j < src.length && /[a-z]/.test(src[j]!)) j++;
      emit(src.slice(i, j));
      i = j;
    } else if (c === "/") {
      emit(c);
      i++;
    } else {
      plain.lastIndex = i;
      plain.test(src);
      emit(src.slice(i, plain.lastIndex));
      i = plain.lastIndex;
    }
  }
  return pieces.join("");
};

const importPattern =
  /(?:\bimport|\bexport)\s*(?:type\s+)?(?:[\w$*{}\s,]+?\s*from\s*)?["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)/g;

/** Module specifiers imported by a source text (static, re-exports and literal dynamic imports). */
export const importedSpecifiers = (src: string): string[] => {
  const specs = new Set<string>();
  for (const m of src.matchAll(importPattern)) {
    const s = m[1] ?? m[2];
    if (s !== undefined) specs.add(s);
  }
  return [...specs].sort();
};

export interface SourceHash {
  /** sha256 over every file of the closure (normalised) and the bare specifiers. */
  readonly hash: string;
  /** Project-relative paths of the local files that entered the hash. */
  readonly files: readonly string[];
  /** Bare specifiers (npm packages, node builtins) the closure imports. */
  readonly packages: readonly string[];
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const memo = new Map<string, SourceHash>();

/**
 * Hashes the module at `moduleUrl` (a file: URL) and every module it imports by relative path.
 * `root` is the project root: paths enter the hash relative to it, so moving the checkout keeps
 * the keys. Results are memoised per process (source files do not change during a run).
 */
export const sourceHash = (moduleUrl: string, root: string): SourceHash => {
  const cacheKey = `${moduleUrl}\n${root}`;
  const cached = memo.get(cacheKey);
  if (cached) return cached;
  const seen = new Map<string, string>(); // project-relative path -> normalised source hash
  const packages = new Set<string>();
  const resolveBare = dependencyResolver(root);
  const visit = (path: string) => {
    const rel = relative(root, path);
    if (seen.has(rel)) return;
    const src = fsys.readTextFileSync(path);
    seen.set(rel, sha256(stripComments(src)));
    for (const spec of importedSpecifiers(src)) {
      if (spec.startsWith("./") || spec.startsWith("../")) visit(resolve(dirname(path), spec));
      else if (spec.startsWith("file:")) visit(fromFileUrl(spec));
      else packages.add(resolveBare(spec));
    }
  };
  visit(fromFileUrl(moduleUrl));
  const files = [...seen.keys()].sort();
  const ingredients = files.map((f) => `${f} ${seen.get(f)}`).concat(
    [...packages].sort().map((p) => `pkg ${p}`),
  );
  const result: SourceHash = {
    hash: sha256(ingredients.join("\n")),
    files,
    packages: [...packages].sort(),
  };
  memo.set(cacheKey, result);
  return result;
};

/** Forgets memoised hashes (tests that edit files between two plans). */
export const clearSourceHashMemo = () => memo.clear();
