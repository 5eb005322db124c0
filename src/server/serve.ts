/**
 * `diffrun serve`: a small read-only web server on a loopback address that lists the runs of a
 * results directory and serves their reports and files.
 *
 * Refuses a non-loopback bind (UsageError), answers only GET and HEAD (405 otherwise), refuses
 * requests whose Host header is not a loopback name (a page on another site cannot reach it
 * through DNS rebinding), and never serves a path outside the results directory (see paths.ts).
 * A run's report.html is rendered on request while the run is still running (and when a run
 * directory has none), and `<run>/live.json` gives the state its page polls to reload itself.
 */
import { join, relative } from "node:path";
import { UsageError } from "../core/errors.ts";
import { listRunDirs, readManifest } from "../core/runDir.ts";
import { escapeHtml, relativeUrl } from "../report/escape.ts";
import { page } from "../report/page.ts";
import { readRun } from "../report/runData.ts";
import { liveState, renderRunReport, REPORT_FILE } from "../report/runReport.ts";
import { isLoopbackHost, resolveInside } from "./paths.ts";
import * as fsys from "../platform/fs.ts";
import { type HttpServer, serveHttp } from "../platform/serve.ts";

const TYPES: Readonly<Record<string, string>> = {
  html: "text/html; charset=utf-8",
  json: "application/json; charset=utf-8",
  jsonl: "text/plain; charset=utf-8",
  md: "text/plain; charset=utf-8",
  log: "text/plain; charset=utf-8",
  txt: "text/plain; charset=utf-8",
  diff: "text/plain; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  webp: "image/webp",
  gif: "image/gif",
};

const BASE_HEADERS = { "x-content-type-options": "nosniff", "cache-control": "no-store" };

const reply = (status: number, body: string, type = "text/plain; charset=utf-8") =>
  new Response(body, { status, headers: { ...BASE_HEADERS, "content-type": type } });

const isRunDir = (dir: string) =>
  fsys.stat(join(dir, "manifest.json")).then((s) => s.isFile, () => false);

/** The index page: every run, newest first, with its status and a link to its report. */
const indexPage = async (root: string): Promise<string> => {
  const rows: string[] = [];
  for (const dir of await listRunDirs(root)) {
    const rel = relative(root, dir).split("\\").join("/");
    const href = escapeHtml(`${relativeUrl(rel.split("/"))}/${REPORT_FILE}`);
    const cells = await readManifest(dir).then(
      (
        m,
      ) => [
        m.experiment.name,
        m.runId,
        m.status,
        m.command.profile ?? "",
        String(m.arms.length),
        m.startedAt,
      ],
      () => [rel, "", "unreadable", "", "", ""],
    );
    rows.push(
      `<tr>${
        cells.map((c, i) =>
          `<td>${i === 1 && c ? `<a href="${href}">${escapeHtml(c)}</a>` : escapeHtml(c)}</td>`
        ).join("")
      }</tr>`,
    );
  }
  const head = ["experiment", "run", "status", "profile", "arms", "started"]
    .map((h) => `<th>${h}</th>`).join("");
  const table = `<table><caption>${rows.length} run(s) under ${
    escapeHtml(root)
  }</caption><thead><tr>${head}</tr></thead><tbody>${rows.join("")}</tbody></table>`;
  return page({
    title: "diffrun runs",
    heading: "diffrun runs",
    subtitle: `results directory ${root} (read-only)`,
    sections: [{ id: "runs", title: "Runs", html: rows.length ? table : "<p>No runs yet.</p>" }],
  });
};

/** The request handler over a results directory whose real path is `root`. */
export const makeHandler = (root: string) => async (req: Request): Promise<Response> => {
  if (req.method !== "GET" && req.method !== "HEAD") {
    return new Response("read-only: only GET and HEAD\n", {
      status: 405,
      headers: { ...BASE_HEADERS, allow: "GET, HEAD" },
    });
  }
  const url = new URL(req.url);
  const hostHeader = (req.headers.get("host") ?? "").replace(/:\d+$/, "");
  if (!isLoopbackHost(hostHeader)) return reply(403, "only loopback host names are served\n");
  const response = await route(root, url.pathname);
  return req.method === "HEAD"
    ? new Response(null, { status: response.status, headers: response.headers })
    : response;
};

const route = async (root: string, pathname: string): Promise<Response> => {
  if (pathname === "/" || pathname === "/index.html") {
    return reply(200, await indexPage(root), TYPES.html);
  }
  const last = pathname.split("/").at(-1);
  if (last === "live.json" || last === REPORT_FILE) {
    const parent = await resolveInside(root, pathname.slice(0, -last.length));
    if (!parent.ok) return reply(parent.status, `${parent.reason}\n`);
    if (await isRunDir(parent.path)) {
      const run = await readRun(parent.path);
      if (last === "live.json") return reply(200, JSON.stringify(liveState(run)), TYPES.json);
      const onDisk = join(parent.path, REPORT_FILE);
      const fresh = run.manifest.status === "running" ||
        !(await fsys.stat(onDisk).then(() => true, () => false));
      if (fresh) return reply(200, await renderRunReport(run), TYPES.html);
    }
  }
  const target = await resolveInside(root, pathname);
  if (!target.ok) return reply(target.status, `${target.reason}\n`);
  const info = await fsys.stat(target.path);
  if (info.isDirectory) {
    if (await isRunDir(target.path)) {
      return new Response(null, {
        status: 302,
        headers: { ...BASE_HEADERS, location: `${pathname.replace(/\/?$/, "/")}${REPORT_FILE}` },
      });
    }
    return reply(404, "not a run directory\n");
  }
  const ext = target.path.split(".").at(-1)?.toLowerCase() ?? "";
  const body = await fsys.readFile(target.path);
  return new Response(body, {
    status: 200,
    headers: {
      ...BASE_HEADERS,
      "content-type": TYPES[ext] ?? "application/octet-stream",
      "content-length": String(body.byteLength),
    },
  });
};

export interface ServeOptions {
  readonly resultsDir: string;
  readonly port: number;
  readonly host: string;
  readonly onListen?: (addr: { hostname: string; port: number }) => void;
  readonly signal?: AbortSignal;
}

/** Starts the server; throws UsageError for a non-loopback host or a missing results directory. */
export const startServer = async (o: ServeOptions): Promise<HttpServer> => {
  if (!isLoopbackHost(o.host)) {
    throw new UsageError({
      reason:
        `refusing to serve on "${o.host}": diffrun serve binds loopback addresses only (127.0.0.1, ::1, localhost), because reports show paths, params and code versions`,
    });
  }
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) {
    throw new UsageError({ reason: `--port ${o.port}: expected an integer from 0 to 65535` });
  }
  const root = await fsys.realPath(o.resultsDir).catch(() => {
    throw new UsageError({ reason: `results directory ${o.resultsDir} does not exist` });
  });
  const handler = makeHandler(root);
  return serveHttp({
    hostname: o.host.replace(/^\[|\]$/g, ""),
    port: o.port,
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onListen ? { onListen: o.onListen } : {}),
  }, async (req) => {
    try {
      return await handler(req);
    } catch (e) {
      return reply(500, `${e instanceof Error ? e.message : String(e)}\n`);
    }
  });
};
