/**
 * Preloaded by `bun test` (package.json `test:bun`): the Deno namespace of ./bunDeno.ts plus a
 * `Deno.test` made of bun:test's `test`, so the suite's files run unchanged under Bun.
 * src/platform/ tells the runtimes apart by Bun's own global, so the shim does not make Bun look
 * like Deno.
 *
 * A test with Deno's `permissions` option checks Deno's permission sandbox, which Bun does not
 * have: it is registered as skipped, with that reason in its name.
 */
import { test } from "bun:test";
import "./bunDeno.ts";

interface Steps {
  step(name: string, fn: () => void | Promise<void>): Promise<boolean>;
}
type TestFn = (t: Steps) => void | Promise<void>;
type Options = { name: string; fn: TestFn; ignore?: boolean; permissions?: unknown };

/** Deno has no per-test time limit; the slowest tests (a CLI run, a training) take minutes. */
const timeoutMs = 10 * 60_000;

/** `t.step` runs its function in place, as Deno does for sequential steps. */
const steps: Steps = {
  step: async (_name, fn) => {
    await fn();
    return true;
  },
};

const register = (nameOrOptions: string | Options, fn?: TestFn): void => {
  const o = typeof nameOrOptions === "string" ? { name: nameOrOptions, fn: fn! } : nameOrOptions;
  if (o.permissions !== undefined) {
    return void test.skip(`${o.name} (skipped on Bun: checks Deno's permission sandbox)`, () => {});
  }
  if (o.ignore) return void test.skip(o.name, () => {});
  test(o.name, () => o.fn(steps), timeoutMs);
};

(globalThis as unknown as { Deno: { test: typeof register } }).Deno.test = register;
