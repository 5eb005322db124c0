/** The Min-SNR study's replicate aggregation and verdict on hand-made curves. */
import assert from "node:assert/strict";
import type { ArmCurves } from "../../src/studies/minSnrCurves.ts";
import {
  groupRuns,
  minSnrVerdict,
  seedsOf,
  speedupTable,
} from "../../src/studies/minSnrVerdict.ts";

type W = ArmCurves["weighting"];
const unweighted: W = { strategy: "unweighted" };
const minSnr5: W = { strategy: "min-snr", gamma: 5 };

/** Curves at steps 1..k with the given FD-clf values. */
const curves = (
  target: "x0" | "eps",
  weighting: W,
  fds: number[],
  divergedAt: number | null = null,
) =>
  ({
    arm: `${target}/${weighting.strategy}${"gamma" in weighting ? `-${weighting.gamma}` : ""}`,
    target,
    weighting,
    describe: "",
    divergedAt,
    points: fds.map((fdClf, i) => ({
      step: i + 1,
      fdClf,
      classEntropy: 1,
      binEdges: [0, 1],
      binLoss: [0.5],
      overallLoss: 0.5,
    })),
  }) as ArmCurves;

/** Inputs named like the planner names replicate arms. */
const inputs = (
  arms: { target: "x0" | "eps"; weighting: W; bySeed: number[][] }[],
): Record<string, ArmCurves> =>
  Object.fromEntries(
    arms.flatMap((a) =>
      a.bySeed.map((fds, seed) => {
        const c = curves(a.target, a.weighting, fds);
        return [`target=${a.target},weighting=${c.arm.split("/")[1]}/seed=${seed}`, c];
      })
    ),
  );

Deno.test("groupRuns() gathers each arm's replicates by seed; no /seed= means seed 0", () => {
  const g = groupRuns(inputs([
    { target: "x0", weighting: unweighted, bySeed: [[3, 2], [3.1, 2.1], [2.9, 1.9]] },
    { target: "x0", weighting: minSnr5, bySeed: [[2, 1], [2.1, 1.1], [1.9, 0.9]] },
  ]));
  assert.deepEqual(g.map((x) => x.arm), ["x0/min-snr-5", "x0/unweighted"]);
  assert.deepEqual([...g[0]!.runs.keys()], [0, 1, 2]);
  assert.deepEqual(seedsOf(g), [0, 1, 2]);
  const single = groupRuns({ "target=x0": curves("x0", unweighted, [1]) });
  assert.deepEqual([...single[0]!.runs.keys()], [0]);
});

Deno.test("speedupTable() aggregates the per-seed speed-ups: mean ± t·s/√n", () => {
  // threshold 2.5: unweighted reaches it at step 2 in every seed; min-SNR at step 1 → speed-up 2
  const g = groupRuns(inputs([
    { target: "x0", weighting: unweighted, bySeed: [[3, 2, 2], [3, 2, 2], [3, 2, 2]] },
    { target: "x0", weighting: minSnr5, bySeed: [[2, 1, 1], [2.4, 1, 1], [3, 2, 1]] },
  ]));
  const rows = speedupTable(g, 2.5, 1.2);
  const m = rows.find((r) => r.arm === "x0/min-snr-5")!;
  assert.equal(m.n, 3);
  assert.equal(m.reached, 3);
  // speed-ups 2, 2, 1 → mean 5/3, s = 1/√3, half-width t_{.975,2}·s/√3 = t/3
  assert.deepEqual(m.speedup!.values, [2, 2, 1]);
  assert.ok(Math.abs(m.speedup!.mean - 5 / 3) < 1e-12);
  const t = 0.95 / Math.sqrt(2 * 0.975 * 0.025);
  assert.ok(Math.abs(m.speedup!.halfWidth! - t / 3) < 1e-9);
  assert.deepEqual(m.finalFd!.values, [1, 1, 1]);
});

Deno.test("minSnrVerdict() reproduces a consistent paired gain and is inconclusive with one seed", () => {
  const three = groupRuns(inputs([
    { target: "x0", weighting: unweighted, bySeed: [[3, 2], [5, 4], [4, 3]] },
    // 1.0, 1.1, 0.9 below the baseline at every seed, though the seeds differ by far more
    { target: "x0", weighting: minSnr5, bySeed: [[2, 1], [4, 2.9], [3, 2.1]] },
  ]));
  const v = minSnrVerdict(three, null, 1.2);
  assert.match(
    v[0]!,
    /^Reproduced: x0 · min-snr-5 ends at a lower FD-clf than the unweighted baseline \(paper: x0 · min-snr-5 − x0 · unweighted < 0\) — paired x0 · min-snr-5 − x0 · unweighted = -1, 95% CI \[-1\.25, -0\.752\], n = 3 seeds\.$/,
  );
  const one = groupRuns(inputs([
    { target: "x0", weighting: unweighted, bySeed: [[3, 2]] },
    { target: "x0", weighting: minSnr5, bySeed: [[2, 1]] },
  ]));
  assert.match(
    minSnrVerdict(one, null, 1.2)[0]!,
    /^Inconclusive \(one seed\): .* from seed 0 alone, no interval\.$/,
  );
});

Deno.test("minSnrVerdict() contradicts the claim when min-SNR is reliably worse", () => {
  const g = groupRuns(inputs([
    { target: "eps", weighting: unweighted, bySeed: [[3, 1], [3, 1.2], [3, 1.1]] },
    { target: "eps", weighting: minSnr5, bySeed: [[3, 2], [3, 2.1], [3, 2.3]] },
  ]));
  assert.match(minSnrVerdict(g, null, 1.2)[0]!, /^Contradicted: eps · min-snr-5 ends at a lower/);
});

Deno.test("minSnrVerdict() judges the x0-vs-ε speed-up on paired per-seed speed-ups", () => {
  // threshold 2.5 fixed: x0 baseline reaches at step 4, min-SNR at 1 → 4×; ε: 2 vs 2 → 1×
  const g = groupRuns(inputs([
    { target: "x0", weighting: unweighted, bySeed: [[3, 3, 3, 2], [3, 3, 3, 2]] },
    { target: "x0", weighting: minSnr5, bySeed: [[2, 2, 2, 2], [3, 2, 2, 2]] },
    { target: "eps", weighting: unweighted, bySeed: [[3, 2, 2, 2], [3, 2, 2, 2]] },
    { target: "eps", weighting: minSnr5, bySeed: [[3, 2, 2, 2], [3, 2, 2, 2]] },
  ]));
  const line = minSnrVerdict(g, 2.5, 1.2).find((l) => l.includes("speeds up x0"))!;
  // per seed: 4 − 1 = 3 and 2 − 1 = 1 → mean 2, interval 2 ± 12.7 contains 0
  assert.match(line, /^Inconclusive: min-SNR-5 speeds up x0-prediction more than ε-prediction/);
  assert.match(line, /paired x0 speed-up − ε speed-up = 2, 95% CI \[-10\.7, 14\.7\], n = 2 seeds/);
});
