/**
 * Test worker: under the lock of `<key>`, writes an entry whose artifact is written slowly: it
 * writes one file, prints "writing", then waits a minute (the test kills it with SIGKILL).
 * Usage: slow_writer.ts <root> <key>
 */
import * as Effect from "effect/Effect";
import { Store } from "../../../src/store/Store.ts";
import { info, writeFiles } from "../helpers.ts";

const [root, key] = Deno.args;
if (root === undefined || key === undefined) throw new Error("usage: slow_writer.ts <root> <key>");

const program = Effect.gen(function* () {
  const store = yield* Store;
  yield* store.withLock(
    key,
    store.write(key, info(), (dir) =>
      writeFiles(dir, { "part-1.bin": "first half" }).pipe(
        Effect.andThen(Effect.sync(() => console.log("writing"))),
        Effect.andThen(Effect.sleep(60_000)),
        Effect.andThen(writeFiles(dir, { "part-2.bin": "second half" })),
      )),
  );
});

await Effect.runPromise(program.pipe(Effect.provide(Store.layer(root))));
console.log("done");
