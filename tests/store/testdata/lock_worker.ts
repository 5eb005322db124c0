/**
 * Test worker: once `<go>` exists, does lookup-or-compute of `<key>` under the store's lock,
 * appending its pid to `<counter>` when it computes (holding the lock for `<holdMs>`).
 * Usage: lock_worker.ts <root> <key> <counter> <go> <holdMs>
 */
import * as Effect from "effect/Effect";
import * as Option from "effect/Option";
import { Store } from "../../../src/store/Store.ts";
import { info, writeFiles } from "../helpers.ts";

const [root, key, counter, go, holdMs] = Deno.args;
if (
  root === undefined || key === undefined || counter === undefined || go === undefined ||
  holdMs === undefined
) {
  throw new Error("usage: lock_worker.ts <root> <key> <counter> <go> <holdMs>");
}

console.log("ready");
for (;;) {
  try {
    await Deno.stat(go);
    break;
  } catch {
    await new Promise((r) => setTimeout(r, 5));
  }
}

const program = Effect.gen(function* () {
  const store = yield* Store;
  return yield* store.withLock(
    key,
    Effect.gen(function* () {
      const hit = yield* store.lookup(key);
      if (Option.isSome(hit)) return "hit";
      yield* Effect.promise(() => Deno.writeTextFile(counter, `${Deno.pid}\n`, { append: true }));
      yield* Effect.sleep(Number(holdMs));
      yield* store.write(key, info(), (dir) => writeFiles(dir, { "value.json": `${Deno.pid}\n` }));
      return "computed";
    }),
    { pollMs: 20 },
  );
});

console.log(await Effect.runPromise(program.pipe(Effect.provide(Store.layer(root)))));
