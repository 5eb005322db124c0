/**
 * Deno and Bun over one store (docs/bun.md#cache-keys): the runtime is not part of any cache key,
 * so both plan the same keys, and a smoke run made by one is all hits for the other.
 * Needs Bun (./bun.ts); skips with a message without it. Deno-only (it drives both runtimes as
 * subprocesses).
 */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { cli, projectRoot, text } from "../core/helpers.ts";
import { bun, bunCli, skipWithoutBun } from "./bun.ts";

skipWithoutBun("crossRuntime_test");

const quickstart = resolve(projectRoot, "experiments/quickstart.ts");

/** `[hit]`/`[miss]` lines of `diffrun plan`, with their keys. */
const planLines = (out: string) => out.split("\n").filter((l) => /^\s+\[(hit|miss)\]/.test(l));

Deno.test({
  name: "diffrun plan shows the same stage keys on Deno and on Bun",
  ignore: bun === undefined,
  fn: async () => {
    const args = ["plan", quickstart, "--profile", "smoke", "--backend", "ort"];
    const [onDeno, onBun] = [await cli(args).output(), await bunCli(args).output()];
    assert.equal(onDeno.code, 0, text(onDeno.stderr));
    assert.equal(onBun.code, 0, text(onBun.stderr));
    const lines = planLines(text(onDeno.stdout));
    assert.equal(lines.length, 7);
    assert.deepEqual(planLines(text(onBun.stdout)), lines);
  },
});

Deno.test({
  name: "a smoke run on Deno, then the same command on Bun over one store: every stage a hit",
  ignore: bun === undefined,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "diffrun-cross-" });
    try {
      const args = (results: string) => [
        "run",
        quickstart,
        "--profile",
        "smoke",
        "--backend",
        "ort",
        "--store",
        join(dir, "store"),
        "--results",
        join(dir, results),
      ];
      const first = await cli(args("results-deno")).output();
      assert.equal(first.code, 0, text(first.stderr));
      assert.match(text(first.stdout), /7 ran, 0 cached/);
      const second = await bunCli(args("results-bun")).output();
      assert.equal(second.code, 0, text(second.stderr));
      assert.match(text(second.stdout), /0 ran, 7 cached/);
      const [runDir] = await Array.fromAsync(Deno.readDir(join(dir, "results-bun/quickstart")));
      const manifest = JSON.parse(
        await Deno.readTextFile(join(dir, "results-bun/quickstart", runDir!.name, "manifest.json")),
      );
      assert.equal(manifest.runtime.name, "bun");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
