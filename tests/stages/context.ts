/** A StageContext for calling a stage's `run` directly in unit tests: records what it is told. */
import * as Effect from "effect/Effect";
import * as Option from "effect/Option";
import type { StageContext } from "../../src/core/stage.ts";

export const stubContext = (
  over: Partial<StageContext> = {},
): StageContext & { readonly lines: string[] } => {
  const lines: string[] = [];
  return {
    key: "0".repeat(64),
    label: "test",
    seed: 0,
    backend: "cpu",
    threads: 1,
    scratchDir: "/nonexistent",
    progress: () => Effect.void,
    log: () => Effect.void,
    info: (message) => Effect.sync(() => void lines.push(message)),
    annotate: () => Effect.void,
    checkpoint: () => Effect.void,
    resume: () => Effect.succeed(Option.none()),
    ...over,
    lines,
  };
};
