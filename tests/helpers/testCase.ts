/**
 * One test registration for both runtimes: `Deno.test` under `deno test` and under `bun test`
 * (where tests/helpers/bunPreload.ts makes `Deno.test` from bun:test).
 */
type TestFn = () => void | Promise<void>;

interface DenoTest {
  test: (options: { name: string; fn: TestFn; ignore?: boolean }) => void;
}

/** Registers `fn` as test `name`; `ignore` skips it. */
export const testCase = (name: string, fn: TestFn, options: { ignore?: boolean } = {}): void =>
  (globalThis as unknown as { Deno: DenoTest }).Deno.test({
    name,
    fn,
    ignore: options.ignore ?? false,
  });

/** Which runtime runs the tests. */
export const testRuntime = (): "deno" | "bun" =>
  (globalThis as { Bun?: unknown }).Bun === undefined ? "deno" : "bun";
