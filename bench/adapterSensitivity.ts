/**
 * Side-by-side summary of the `adapter-sensitivity` measurement of one or more adapter runs
 * (e.g. before and after a change to the base), read from their run directories:
 *
 *   deno task diffrun run experiments/adapters.ts --profile sensitivity --results /tmp/a
 *   deno run --allow-read bench/adapterSensitivity.ts /tmp/a/adapters/<run> [/tmp/b/adapters/<run>]
 *
 * Prints, per run: the base loss and frozen-base target MSE, the RMS of the transformer's output
 * projections, per position the read RMS, ‖∂L/∂h‖ and Δoutput, and per input position the
 * largest step-0 gradient and output change over its pairs.
 */
import { join } from "node:path";
import * as v from "valibot";
import { AdapterSensitivitySchema } from "../src/studies/adapterSensitivityStage.ts";

const artifact = (run: string, prefix: string): string => {
  const dir = [...Deno.readDirSync(join(run, "artifacts"))].find((e) => e.name.startsWith(prefix));
  if (dir === undefined) throw new Error(`${run}: no ${prefix}* artifact`);
  return join(run, "artifacts", dir.name, "value.json");
};
const g = (x: number | null) => (x === null ? "—" : x.toPrecision(3));

for (const run of Deno.args) {
  const s = v.parse(
    AdapterSensitivitySchema,
    JSON.parse(Deno.readTextFileSync(artifact(run, "adapter-sensitivity"))),
  );
  const frozen = JSON.parse(Deno.readTextFileSync(artifact(run, "adapter-eval_frozen")));
  console.log(`\n${run}`);
  console.log(
    `base loss on ${s.batch} triples ${g(s.baseLoss)}; frozen-base target MSE ${
      g(frozen.targetMse)
    } ± ${g(frozen.targetMseSe)}`,
  );
  console.log(`output projections: ${s.weights.map((w) => `${w.name} ${g(w.rms)}`).join(", ")}`);
  console.log("site      position   read RMS  ‖∂L/∂h‖   Δoutput");
  for (const r of s.positions) {
    console.log(
      `${r.site.padEnd(9)} ${r.position.padEnd(10)} ${g(r.activationRms).padEnd(9)} ${
        g(r.gradNorm).padEnd(9)
      } ${g(r.outputChange)}`,
    );
  }
  console.log(`input      max ‖∇θ L‖  max Δoutput (scale 1)  max Δoutput (scale ${s.raisedScale})`);
  for (const input of [...new Set(s.pairs.map((p) => p.input))]) {
    const ps = s.pairs.filter((p) => p.input === input);
    const max = (f: (p: (typeof ps)[number]) => number) => Math.max(...ps.map(f));
    console.log(
      `${input.padEnd(10)} ${g(max((p) => p.gradNorm)).padEnd(11)} ${
        g(max((p) => p.outputChange)).padEnd(22)
      } ${g(max((p) => p.outputChangeRaised))}`,
    );
  }
}
