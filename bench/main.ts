/**
 * `deno task bench [core|engine|dmd|…]`: runs the named benchmarks (all by default) one after the
 * other, never side by side (two multi-threaded jobs on 2 cores distort each other several-fold).
 */
import { benchCore } from "./core.ts";

// names first, then flags for them (`bench engine --backend webgpu --steps 2`)
const firstFlag = Deno.args.findIndex((a) => a.startsWith("--"));
const names = firstFlag < 0 ? Deno.args : Deno.args.slice(0, firstFlag);
const flags = firstFlag < 0 ? [] : Deno.args.slice(firstFlag);
const which = names.length > 0 ? names : ["core", "engine", "dmd"];
const repeat = Number(Deno.env.get("BENCH_REPEAT") ?? 5);

for (const name of which) {
  if (name === "core") {
    const r = await benchCore(repeat);
    console.log(`runner (median of ${repeat}):`);
    console.log(
      `  no-op re-run of a cached 1,000-stage pipeline, end to end: ${
        r.cachedRerun1000Ms.toFixed(0)
      } ms (goal < 1000); each: ${r.cachedRerunsMs.join(", ")} ms`,
    );
    if (r.machineDuringReruns) {
      const m = r.machineDuringReruns;
      const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
      console.log(
        `  CPU time during the re-runs: busy ${pct(m.busy)}, iowait ${pct(m.iowait)}, steal ${
          pct(m.steal)
        }`,
      );
    }
    console.log(
      `  planning a 10,000-arm sweep (${r.plan10kStages} stages): ${
        r.plan10kArmsMs.toFixed(0)
      } ms (goal < 2000)`,
    );
    console.log(
      `  scheduler per stage, hit: ${
        r.schedulerPerStageHitMs.toFixed(3)
      } ms; miss incl. atomic store write: ${r.schedulerPerStageMissMs.toFixed(3)} ms (goal < 1)`,
    );
    console.log(JSON.stringify({ bench: "core", ...r }));
  } else if (name === "engine") {
    const path = new URL("./engine.ts", import.meta.url);
    const exists = await Deno.stat(path).then(() => true, () => false);
    if (!exists) {
      console.log("engine: bench/engine.ts not present");
      continue;
    }
    const mod = await import(path.href);
    await mod.main?.(flags);
  } else if (name === "dmd") {
    const { main } = await import("./dmd.ts");
    await main();
  } else {
    console.error(`unknown benchmark "${name}" (known: core, engine, dmd)`);
    Deno.exit(2);
  }
}
