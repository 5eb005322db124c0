/** The DMD study's verdict on hand-made arm results over replicate seeds. */
import assert from "node:assert/strict";
import { type ArmResult, dmdVerdict } from "../../src/studies/dmdVerdict.ts";

const arm = (
  name: string,
  seed: number,
  fdClf: number,
  entropyNormalised = 0.99,
  coverage = 1,
): ArmResult => ({
  name,
  seed,
  describe: name,
  fdClf,
  entropy: entropyNormalised * Math.log(10),
  entropyNormalised,
  coverage,
  generatorUpdates: 400,
  fakeUpdates: 400,
});
/** One arm at seeds 0, 1, 2 with the given FD-clf values. */
const seeds = (name: string, fds: number[], entropy = 0.99, coverage = 1) =>
  fds.map((fd, s) => arm(name, s, fd, entropy - 0.01 * s, coverage));
const teacher = { ddim50: 2, ddim4: 8, ddim1: 40 };

Deno.test("dmdVerdict() reproduces the ablation order when every seed's DMD beats both parts", () => {
  const v = dmdVerdict(
    [
      ...seeds("regression", [12, 14, 13]),
      ...seeds("matching", [20, 22, 21], 0.5, 0.6),
      ...seeds("dmd", [6, 7, 6.5]),
      ...seeds("dmd2", [9, 9, 9]),
    ],
    teacher,
  );
  assert.match(v[0]!, /^Reproduced: full DMD beats both parts alone in one-step FD-clf/);
  // dmd − regression = −6, −7, −6.5: mean −6.5, s = 0.5, ± t_{.975,2}·0.5/√3 = ±1.24
  assert.match(
    v[0]!,
    /paired DMD − regression only = -6\.5, 95% CI \[-7\.74, -5\.26\], n = 3 seeds/,
  );
  assert.match(v[0]!, /means: DMD 6\.5, regression only 13, matching only 21/);
  // entropies 0.5, 0.49, 0.48: the interval of entropy − 0.9 lies below 0
  assert.match(
    v[1]!,
    /^Reproduced: matching alone at 1:1 collapses .* n = 3 seeds; a class never predicted in 3 of 3 seeds/,
  );
  assert.match(v[2]!, /DMD2-style .* mean FD-clf 9 vs DMD's 6\.5/);
  assert.match(
    v[3]!,
    /Best one-step arm \(dmd\) mean 6\.5 .* improves on one teacher step by 33\.5 and beats four/,
  );
});

Deno.test("dmdVerdict() contradicts the order when a part alone is reliably better than DMD", () => {
  const v = dmdVerdict(
    [
      ...seeds("regression", [5, 5.5, 5.2]),
      ...seeds("matching", [20, 21, 22]),
      ...seeds("dmd", [6, 6.6, 6.1]),
    ],
    teacher,
  );
  assert.match(v[0]!, /^Contradicted: full DMD beats both parts alone/);
  assert.match(v[0]!, /\(Contradicted\); .* \(Reproduced\)/);
  assert.match(v[1]!, /^Contradicted: matching alone at 1:1 collapses/);
});

Deno.test("dmdVerdict() is inconclusive with one seed or overlapping seeds", () => {
  const one = dmdVerdict(
    [arm("regression", 0, 12), arm("matching", 0, 20), arm("dmd", 0, 6)],
    teacher,
  );
  assert.match(one[0]!, /^Inconclusive \(one seed\): full DMD/);
  const mixed = dmdVerdict(
    [
      ...seeds("regression", [5, 8, 6]),
      ...seeds("matching", [20, 21, 22]),
      ...seeds("dmd", [6, 6, 6]),
    ],
    teacher,
  );
  assert.match(mixed[0]!, /^Inconclusive: full DMD/);
});

Deno.test("dmdVerdict() says the order cannot be judged when an arm is missing", () => {
  const v = dmdVerdict(seeds("dmd", [6]), { ddim50: null, ddim4: null, ddim1: null });
  assert.deepEqual(v, [
    "The ablation order cannot be judged: an arm of regression / matching / dmd is missing.",
  ]);
});
