/**
 * Mapping a request path onto a file inside the results directory, refusing everything that
 * could reach outside it: every segment is percent-decoded once and then must not be `.`, `..`,
 * empty-with-meaning, or contain `/`, `\` or NUL (so `..%2f` and `%2e%2e` are caught after
 * decoding), and the resolved real path (symbolic links followed) must lie under the real root.
 */
import { join, sep } from "node:path";
import * as fsys from "../platform/fs.ts";

export type Resolved =
  | { readonly ok: true; readonly path: string; readonly segments: readonly string[] }
  | { readonly ok: false; readonly status: 400 | 403 | 404; readonly reason: string };

/** Decoded path segments of a URL pathname, or a refusal. */
export const pathSegments = (
  pathname: string,
): { ok: true; segments: string[] } | { ok: false; status: 400 | 403; reason: string } => {
  const segments: string[] = [];
  for (const raw of pathname.split("/")) {
    if (raw === "") continue;
    let s: string;
    try {
      s = decodeURIComponent(raw);
    } catch {
      return { ok: false, status: 400, reason: "malformed percent-encoding" };
    }
    if (s === "." || s === ".." || /[\/\\\0]/.test(s)) {
      return { ok: false, status: 403, reason: "path leaves the results directory" };
    }
    segments.push(s);
  }
  return { ok: true, segments };
};

const inside = (root: string, path: string) => path === root || path.startsWith(root + sep);

/** The real path of `pathname` under `root` (a real path itself), or why it is refused. */
export const resolveInside = async (root: string, pathname: string): Promise<Resolved> => {
  const parsed = pathSegments(pathname);
  if (!parsed.ok) return parsed;
  const candidate = join(root, ...parsed.segments);
  if (!inside(root, candidate)) {
    return { ok: false, status: 403, reason: "path leaves the results directory" };
  }
  let real: string;
  try {
    real = await fsys.realPath(candidate);
  } catch {
    return { ok: false, status: 404, reason: "not found" };
  }
  if (!inside(root, real)) {
    return { ok: false, status: 403, reason: "a link points outside the results directory" };
  }
  return { ok: true, path: real, segments: parsed.segments };
};

/** Hosts `diffrun serve` may bind: loopback only. */
export const isLoopbackHost = (host: string): boolean =>
  host === "localhost" || host === "::1" || host === "[::1]" ||
  /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
