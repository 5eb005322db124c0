/**
 * The adapter study with successive halving (profile smoke-halving): four valid arms tuned 1
 * step, the best two to 2, the best to 4, in cached one-step segments; the report covers the
 * survivor and the rung chart every arm. And tuning in segments gives the weights one straight
 * run gives (the batches, t draws and noise depend on the global step only).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, tempEnv, text } from "../core/helpers.ts";
import { readManifest } from "../../src/core/runDir.ts";

const run = async (args: string[]) => {
  const out = await cli(["run", "experiments/adapters.ts", ...args]).output();
  assert.equal(out.code, 0, `${args.join(" ")}:\n${text(out.stderr)}${text(out.stdout)}`);
  return text(out.stdout);
};

const targetMse = async (store: string, key: string): Promise<number> =>
  JSON.parse(
    await Deno.readTextFile(join(store, "entries", key.slice(0, 2), key, "artifact", "value.json")),
  )
    .targetMse;

Deno.test("adapters --profile smoke-halving stops arms at their rung and reports the survivor", async () => {
  await using env = await tempEnv();
  const where = ["--store", env.store, "--results", env.results];
  const stdout = await run(["--profile", "smoke-halving", ...where]);
  assert.match(stdout, /arms per rung: 4 → 2 → 1/);
  const dir = join(
    env.results,
    "adapters",
    [...Deno.readDirSync(join(env.results, "adapters"))][0]!.name,
  );
  const h = JSON.parse(await Deno.readTextFile(join(dir, "halving.json")));
  assert.deepEqual(h.decisions.map((d: { ranking: unknown[] }) => d.ranking.length), [4, 2, 1]);
  assert.equal(h.survivors.length, 1);
  const m = await readManifest(dir);
  const ran = m.stages.filter((s) => s.status === "ran" || s.status === "cached");
  const tunes = ran.filter((s) => s.stage === "adapter-tune" && !/full|frozen/.test(s.label));
  // 4 arms × step 1, 2 × step 2, 1 × steps 3 and 4
  assert.equal(tunes.length, 4 + 2 + 2);
  const md = await Deno.readTextFile(join(dir, "artifacts", "adapter-report", "report.md"));
  assert.match(md, /1 adapter arms/);
  const summary = await Deno.readTextFile(join(dir, "summary.md"));
  assert.match(
    summary,
    new RegExp(`Survivors at budget 4, best first:\\n\\n1\\. ${h.survivors[0]}`),
  );
  assert.match(
    await Deno.readTextFile(join(dir, "report.html")),
    /Successive halving: eval\.targetMse/,
  );

  // the survivor's rung-2 evaluation equals a straight two-step tuning of the same arm
  const survivor = m.arms.find((a) => a.id === h.survivors[0])!;
  const rung2 = h.decisions[1].ranking.find((r: { arm: string }) => r.arm === survivor.id);
  await run([
    "--profile",
    "smoke",
    "-p",
    `input=${(survivor.values as { input: string }).input}`,
    "-p",
    `output=${(survivor.values as { output: string }).output}`,
    ...where,
  ]);
  const straight = await readManifest(
    join(
      env.results,
      "adapters",
      [...Deno.readDirSync(join(env.results, "adapters"))].map((d) => d.name).sort().at(-1)!,
    ),
  );
  const evalKey = straight.arms[0]!.outputs.eval!;
  const once = await targetMse(env.store, evalKey);
  assert.ok(
    Math.abs(once - rung2.score) <= 1e-6 * Math.abs(once),
    `two one-step segments ${rung2.score} vs one two-step tuning ${once}`,
  );
});
