/** The DMD study's verdict on hand-made arm results. */
import assert from "node:assert/strict";
import { type ArmResult, dmdVerdict } from "../../src/studies/dmdVerdict.ts";

const arm = (name: string, fdClf: number, entropyNormalised = 0.99, coverage = 1): ArmResult => ({
  name,
  describe: name,
  fdClf,
  entropy: entropyNormalised * Math.log(10),
  entropyNormalised,
  coverage,
  generatorUpdates: 400,
  fakeUpdates: 400,
});
const teacher = { ddim50: 2, ddim4: 8, ddim1: 40 };

Deno.test("dmdVerdict() reproduces the ablation order when DMD beats both parts", () => {
  const v = dmdVerdict(
    [arm("regression", 12), arm("matching", 20, 0.5, 0.6), arm("dmd", 6), arm("dmd2", 9)],
    teacher,
  );
  assert.match(
    v[0]!,
    /^Reproduced: full DMD beats both parts alone .*DMD 6, regression only 12, matching only 20/,
  );
  assert.match(v[1]!, /^Reproduced: matching alone at 1:1 collapses \(class entropy 0.5/);
  assert.match(v[2]!, /DMD2-style .* FD-clf 9 vs DMD's 6/);
  assert.match(
    v[3]!,
    /Best one-step arm \(dmd\) 6 .* improves on one teacher step by 34 and beats four/,
  );
});

Deno.test("dmdVerdict() says 'Not reproduced' when a part alone is better than DMD", () => {
  const v = dmdVerdict([arm("regression", 5), arm("matching", 20), arm("dmd", 6)], teacher);
  assert.match(v[0]!, /^Not reproduced: full DMD does not beat both parts alone/);
  assert.match(v[1]!, /^Not reproduced: matching alone at 1:1 does not collapse/);
});

Deno.test("dmdVerdict() says the order cannot be judged when an arm is missing", () => {
  const v = dmdVerdict([arm("dmd", 6)], { ddim50: null, ddim4: null, ddim1: null });
  assert.deepEqual(v, [
    "The ablation order cannot be judged: an arm of regression / matching / dmd is missing.",
  ]);
});
