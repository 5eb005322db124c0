/**
 * One test registration for both runtimes: `Deno.test` under `deno test`, bun:test's `test`
 * under `bun test`. Test files of the Bun subset (docs/bun.md) register through this.
 */
type TestFn = () => void | Promise<void>;

interface DenoTest {
  test: (options: { name: string; fn: TestFn; ignore?: boolean }) => void;
}
interface BunTest {
  test: { (name: string, fn: TestFn): void; skip: (name: string, fn: TestFn) => void };
}

const deno = (globalThis as { Deno?: DenoTest }).Deno;
const specifier = "bun:test";
const bun: BunTest | undefined = deno === undefined ? await import(specifier) : undefined;

/** Registers `fn` as test `name`; `ignore` skips it (with the reason in the name). */
export const testCase = (name: string, fn: TestFn, options: { ignore?: boolean } = {}): void => {
  if (deno !== undefined) deno.test({ name, fn, ignore: options.ignore ?? false });
  else if (options.ignore) bun!.test.skip(name, fn);
  else bun!.test(name, fn);
};

/** Which runtime runs the tests. */
export const testRuntime = (): "deno" | "bun" => deno === undefined ? "bun" : "deno";
