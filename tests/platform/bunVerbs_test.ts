/**
 * Every verb of `diffrun --help` on Bun (docs/bun.md#commands), over one store that a smoke run
 * on Bun made: run, plan, explain, rerun, ls, show, compare, gc, report, serve, exec, verify,
 * and a bad input's exit code 2. Needs Bun (./bun.ts); skips with a message without it.
 */
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { projectRoot, text } from "../core/helpers.ts";
import { bun, bunCli, skipWithoutBun } from "./bun.ts";

skipWithoutBun("bunVerbs_test");

const quickstart = resolve(projectRoot, "experiments/quickstart.ts");
const smoke = ["--profile", "smoke", "--backend", "ort"];

const onBun = async (args: string[], code = 0) => {
  const out = await bunCli(args).output();
  assert.equal(out.code, code, `bun ${args.join(" ")}:\n${text(out.stderr)}${text(out.stdout)}`);
  return text(out.stdout);
};

const runDirs = async (results: string) =>
  (await Array.fromAsync(Deno.readDir(join(results, "quickstart")))).map((e) =>
    join(results, "quickstart", e.name)
  ).sort();

Deno.test({
  name: "every CLI verb runs on Bun over a store of a smoke run",
  ignore: bun === undefined,
  fn: async (t) => {
    const dir = await Deno.makeTempDir({ prefix: "diffrun-bun-verbs-" });
    const store = join(dir, "store"), results = join(dir, "results");
    const where = ["--store", store, "--results", results];
    try {
      await t.step("run", async () => {
        assert.match(await onBun(["run", quickstart, ...smoke, ...where]), /7 ran, 0 cached/);
      });
      const [first] = await runDirs(results);
      const manifest = JSON.parse(await Deno.readTextFile(join(first!, "manifest.json")));
      assert.equal(manifest.runtime.name, "bun");
      const evaluateKey: string = manifest.stages.find((s: { label: string }) =>
        s.label === "evaluate"
      ).key;

      await t.step("plan", async () => {
        const out = await onBun(["plan", quickstart, ...smoke, "--store", store]);
        assert.equal(out.split("\n").filter((l) => /^\s+\[hit \]/.test(l)).length, 7, out);
      });
      await t.step("plan with a bad -p value exits 2", async () => {
        await onBun(["plan", quickstart, ...smoke, "-p", "steps=abc", "--store", store], 2);
      });
      await t.step("explain", async () => {
        const args = ["explain", quickstart, "evaluate", ...smoke, "--results", results];
        assert.match(await onBun(args), /evaluate: unchanged/);
        assert.match(await onBun([...args, "-p", "samples=8"]), /params samples: 16 → 8/);
      });
      await t.step("ls and show", async () => {
        assert.match(await onBun(["ls", "--results", results]), /succeeded\s+1\s+7\s/);
        assert.match(await onBun(["show", first!]), /\| evaluate \| ran \|/);
      });
      await t.step("rerun and compare", async () => {
        assert.match(await onBun(["rerun", first!, ...where]), /0 ran, 7 cached/);
        const [a, b] = await runDirs(results);
        assert.match(await onBun(["compare", a!, b!]), /0 column\(s\) differ/);
      });
      await t.step("report", async () => {
        assert.match(await onBun(["report", first!]), /wrote .*report\.html/);
        assert.ok((await Deno.stat(join(first!, "report.html"))).size > 0);
      });
      await t.step("serve", async () => {
        const server = new Deno.Command(bun!, {
          args: ["run", resolve(projectRoot, "src/cli/main.ts"), "serve", results, "--port", "0"],
          stdout: "piped",
          stderr: "null",
        }).spawn();
        try {
          const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
          let said = "";
          while (!/127\.0\.0\.1:\d+/.test(said)) said += (await reader.read()).value ?? "";
          reader.releaseLock();
          const origin = said.match(/http:\/\/127\.0\.0\.1:\d+/)![0];
          const index = await fetch(`${origin}/`);
          assert.equal(index.status, 200);
          assert.match(await index.text(), /quickstart/);
        } finally {
          server.kill("SIGINT");
          await server.status;
          await server.stdout.cancel().catch(() => undefined);
        }
      });
      await t.step("verify, verify --repair, then exec rebuilds the entry", async () => {
        assert.match(await onBun(["verify", "--store", store]), /7 good/);
        const samples = join(store, "entries", evaluateKey.slice(0, 2), evaluateKey, "artifact");
        const [file] = (await Array.fromAsync(Deno.readDir(samples))).filter((e) => e.isFile);
        await Deno.writeTextFile(join(samples, file!.name), "x", { append: true });
        assert.match(await onBun(["verify", "--store", store], 1), /1 bad/);
        assert.match(await onBun(["verify", "--repair", "--store", store]), /1 bad \(removed/);
        assert.match(await onBun(["verify", "--store", store]), /6 good/);
        await Deno.mkdir(join(store, "jobs", evaluateKey), { recursive: true });
        await Deno.writeTextFile(
          join(store, "jobs", evaluateKey, "spec.json"),
          JSON.stringify({
            key: evaluateKey,
            label: "evaluate",
            experimentFile: quickstart,
            profile: "smoke",
            overrides: [],
            backend: "ort",
            projectRoot,
          }),
        );
        assert.match(await onBun(["exec", evaluateKey, "--store", store]), /evaluate: ran/);
        assert.match(await onBun(["verify", "--store", store]), /7 good/);
      });
      await t.step("gc", async () => {
        assert.match(await onBun(["gc", "--dry-run", ...where]), /would remove 0 entries/);
        for (const d of await runDirs(results)) await Deno.remove(d, { recursive: true });
        assert.match(await onBun(["gc", ...where]), /removed 7 entries/);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
