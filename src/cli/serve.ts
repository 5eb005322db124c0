/**
 * `diffrun serve [results-dir] [--port N] [--host 127.0.0.1]` and `diffrun report <run-dir>`:
 * the command-line side of src/server/ and src/report/.
 */
import * as Argument from "effect/cli/Argument";
import * as Command from "effect/cli/Command";
import * as Flag from "effect/cli/Flag";
import * as Effect from "effect/Effect";
import * as Option from "effect/Option";
import { resolve } from "node:path";
import { startServer } from "../server/serve.ts";
import { writeRunReport } from "../report/runReport.ts";
import { writeCompareReport } from "../report/compareReport.ts";
import * as opt from "./options.ts";
import { writeStdout } from "../platform/terminal.ts";

const say = (text: string) => Effect.sync(() => writeStdout(`${text}\n`));

export const serveCommand = Command.make(
  "serve",
  {
    results: Argument.String("results-dir").pipe(
      Argument.withDescription("results directory (default: results/ in the project)"),
      Argument.optional,
    ),
    port: Flag.Int("port").pipe(
      Flag.withDescription("port (default 8470; 0 picks a free one)"),
      Flag.withDefault(8470),
    ),
    host: Flag.String("host").pipe(
      Flag.withDescription("loopback address to bind (127.0.0.1, ::1 or localhost)"),
      Flag.withDefault("127.0.0.1"),
    ),
  },
  (a) =>
    Effect.acquireUseRelease(
      Effect.tryPromise({
        try: () =>
          startServer({
            resultsDir: Option.isSome(a.results)
              ? resolve(a.results.value)
              : opt.resultsRoot(Option.none(), opt.projectRoot()),
            port: a.port,
            host: a.host,
            onListen: ({ hostname, port }) => {
              const h = hostname.includes(":") ? `[${hostname}]` : hostname;
              console.log(`diffrun: serving runs read-only at http://${h}:${port}/ (Ctrl-C stops)`);
            },
          }),
        catch: (e) => e,
      }),
      (server) => Effect.promise(() => server.finished),
      (server) => Effect.promise(() => server.shutdown()),
    ),
).pipe(
  Command.withDescription(
    "serve the run reports of a results directory on localhost (read-only; live pages for running runs)",
  ),
);

export const reportCommand = Command.make(
  "report",
  { run: Argument.String("run-dir") },
  (a) =>
    Effect.tryPromise({ try: () => writeRunReport(resolve(a.run)), catch: (e) => e }).pipe(
      Effect.flatMap((path) => say(`wrote ${path}`)),
    ),
).pipe(Command.withDescription("write report.html into a run directory"));

/** `compare --html <file>`: also write the comparison as a self-contained HTML page. */
export const compareHtmlFlag = Flag.String("html").pipe(
  Flag.withDescription("also write an HTML comparison (images embedded) to this file"),
  Flag.optional,
);

export const writeCompareHtml = (runs: readonly string[], file: Option.Option<string>) =>
  Option.isNone(file) ? Effect.void : Effect.tryPromise({
    try: () => writeCompareReport(runs.map((r) => resolve(r)), resolve(file.value)),
    catch: (e) => e,
  }).pipe(Effect.flatMap((w) => say(`wrote ${w.path}`)));
