/** The adapter study's replicate aggregation and verdict on hand-made rows. */
import assert from "node:assert/strict";
import { adapterVerdict, type ArmRow, summariseArms } from "../../src/studies/adapterVerdict.ts";

const row = (input: string, output: string, seed: number, mse: number): ArmRow => ({
  id: `input=${input},output=${output}`,
  seed,
  input,
  output,
  activation: "none",
  scale: 1,
  rank: 4,
  mse,
  se: 0.01,
  adapterParams: 100,
  baseParams: 10000,
});

/** One placement at seeds 0..k−1. */
const arm = (input: string, output: string, mses: number[]) =>
  mses.map((m, s) => row(input, output, s, m));

Deno.test("summariseArms() averages each arm over its seeds, best mean first", () => {
  const s = summariseArms([
    ...arm("SA_in", "Res_out", [3, 4, 5]),
    ...arm("CA_out", "FFN_in", [1, 2, 3]),
  ]);
  assert.deepEqual(s.map((a) => a.id), [
    "input=CA_out,output=FFN_in",
    "input=SA_in,output=Res_out",
  ]);
  assert.equal(s[0]!.mse, 2);
  assert.equal(s[0]!.n, 3);
  assert.deepEqual(s[0]!.cell.values, [1, 2, 3]);
  // se over seeds: s = 1, se = 1/√3
  assert.ok(Math.abs(s[0]!.se - 1 / Math.sqrt(3)) < 1e-12);
  // one seed: the evaluation's own standard error
  assert.equal(summariseArms(arm("SA_in", "Res_out", [3]))[0]!.se, 0.01);
});

Deno.test("adapterVerdict() judges 'after cross-attention does best' on per-seed paired means", () => {
  const rows = [
    ...arm("CA_out", "FFN_in", [1.0, 2.0, 1.5]),
    ...arm("SA_in", "Res_out", [2.0, 3.1, 2.4]),
  ];
  const full = new Map([[0, 0.5], [1, 1.5], [2, 1.0]]);
  const frozen = new Map([[0, 5], [1, 5], [2, 5]]);
  const v = adapterVerdict(rows, [], full, frozen);
  const ca = v.find((l) => l.includes("right after cross-attention"))!;
  // differences −1, −1.1, −0.9 at seeds 0, 1, 2
  assert.match(ca, /^Reproduced: .* paired after cross-attention − other inputs = -1, 95% CI/);
  const best = v.find((l) => l.includes("is the best placement"))!;
  assert.match(best, /^Reproduced: CA_out → FFN_in is the best placement/);
  assert.match(best, /ranks 1 of 2 by mean MSE at 1% extra parameters/);
  const vsFull = v.find((l) => l.startsWith("Best adapter"))!;
  // best − full = 0.5 at every seed
  assert.match(
    vsFull,
    /paired input=CA_out,output=FFN_in − full fine-tune = 0\.5, 95% CI \[0\.5, 0\.5\]/,
  );
});

Deno.test("adapterVerdict() is inconclusive with one seed, and reads the F test for the factor claim", () => {
  const rows = [...arm("CA_out", "FFN_in", [1]), ...arm("SA_in", "Res_out", [2])];
  const v = adapterVerdict(
    rows,
    [{ factor: "output", f: 9, p: 0.01 }, { factor: "input", f: 2, p: 0.2 }],
    new Map([[0, 1]]),
    new Map([[0, 3]]),
  );
  assert.match(
    v[0]!,
    /^Contradicted: the input position is the factor with the largest effect .* the largest F is output/,
  );
  assert.match(v[1]!, /^Inconclusive \(one seed\): adapters reading right after cross-attention/);
  const weak = adapterVerdict(rows, [{ factor: "input", f: 2, p: 0.2 }], new Map(), new Map());
  assert.match(weak[0]!, /^Inconclusive: the input position/);
});
