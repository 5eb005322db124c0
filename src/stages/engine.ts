/**
 * What every tensor stage does first: select the backend the run asked for, with the stage's
 * share of threads, and log which engine computed its numbers.
 */
import * as Effect from "effect/Effect";
import type { StageContext } from "../core/stage.ts";
import { selectBackend } from "../engine/backend.ts";
import { canonicalJson } from "../core/canonicalJson.ts";

export const useEngine = (ctx: StageContext) =>
  Effect.gen(function* () {
    const identity = yield* Effect.tryPromise({
      try: () => selectBackend(ctx.backend, { threads: ctx.threads }),
      catch: (e) => e,
    });
    yield* ctx.info(`engine ${canonicalJson(identity)}`);
    yield* ctx.annotate({ engine: identity });
    return identity;
  });
