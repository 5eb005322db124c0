/**
 * Preloaded by `bun test` (package.json `test:bun`): a `Deno.test` made of bun:test's `test`, so
 * test files that only register tests through `Deno.test` run unchanged under Bun. Only
 * `Deno.test` exists on it; src/platform/ tells the runtimes apart by Bun's own global.
 */
import { test } from "bun:test";

type TestFn = () => void | Promise<void>;
type Options = { name: string; fn: TestFn; ignore?: boolean };

const register = (nameOrOptions: string | Options, fn?: TestFn): void => {
  if (typeof nameOrOptions === "string") return void test(nameOrOptions, fn!);
  if (nameOrOptions.ignore) return void test.skip(nameOrOptions.name, nameOrOptions.fn);
  test(nameOrOptions.name, nameOrOptions.fn);
};

(globalThis as unknown as { Deno: { test: typeof register } }).Deno = { test: register };
