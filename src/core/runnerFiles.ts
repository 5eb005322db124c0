/**
 * The runner's own files inside an artifact (`_diffrun/`: the stage's log, metrics rows and
 * annotations), written with the entry and read back for cached and executor-run stages.
 */
import * as Effect from "effect/Effect";
import * as Option from "effect/Option";
import { join } from "node:path";
import type { PlanNode } from "./plan.ts";
import type { SchedulerState } from "./schedulerState.ts";
import * as fsys from "../platform/fs.ts";

/** Where the runner keeps a stage's own log and metrics inside its artifact (codecs ignore it). */
export const RUNNER_DIR = "_diffrun";

/** Writes the runner's files, only when there is something to keep (no-op stages stay cheap). */
export const writeRunnerFiles = async (dir: string, own: {
  readonly logLines: readonly string[];
  readonly metrics: readonly string[];
  readonly annotations: Record<string, unknown>;
}) => {
  const files: [string, string][] = [];
  if (own.logLines.length) files.push(["log.txt", own.logLines.join("\n") + "\n"]);
  if (own.metrics.length) files.push(["metrics.jsonl", own.metrics.join("\n") + "\n"]);
  if (Object.keys(own.annotations).length) {
    files.push(["annotations.json", JSON.stringify(own.annotations) + "\n"]);
  }
  if (files.length) await fsys.mkdir(join(dir, RUNNER_DIR));
  for (const [name, text] of files) await fsys.writeTextFile(join(dir, RUNNER_DIR, name), text);
};

/** The entry's file list (its checked metadata): a runner file it lacks is not looked for. */
type EntryFiles = readonly { readonly path: string }[];

/** Whether the entry holds `_diffrun/<name>`; a miss costs nothing, a read costs a file open. */
const holds = (files: EntryFiles, name: string) =>
  files.some((f) => f.path === `${RUNNER_DIR}/${name}`);

/** What the stage recorded with `ctx.annotate`, kept with its entry. */
export const storedAnnotations = (
  s: SchedulerState,
  node: PlanNode,
  files: EntryFiles,
): Effect.Effect<Record<string, unknown>> =>
  holds(files, "annotations.json")
    ? Effect.promise(() =>
      fsys.readTextFile(join(s.store.artifactDir(node.key), RUNNER_DIR, "annotations.json"))
        .then(JSON.parse).catch(() => ({}))
    )
    : Effect.succeed({});

/** Cached stages still contribute their metrics to the run's metrics.jsonl. */
export const replayMetrics = (
  s: SchedulerState,
  node: PlanNode,
  cached: boolean,
  files: EntryFiles,
) =>
  !holds(files, "metrics.jsonl") ? Effect.void : Effect.gen(function* () {
    const text = yield* Effect.promise(() =>
      fsys.readTextFile(join(s.store.artifactDir(node.key), RUNNER_DIR, "metrics.jsonl")).catch(
        () => "",
      )
    );
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      const rec = yield* Effect.try(() => JSON.parse(line) as Record<string, unknown>).pipe(
        Effect.option,
      );
      if (Option.isSome(rec)) {
        yield* s.events.emit({ type: "metric", node, record: rec.value, cached });
      }
    }
  });
