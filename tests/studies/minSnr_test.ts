/** The Min-SNR study's per-arm curves and its speed-up table, on hand-made evaluations. */
import assert from "node:assert/strict";
import * as Effect from "effect/Effect";
import { type ArmCurves, armCurvesStage } from "../../src/studies/minSnrCurves.ts";
import { groupRuns, speedupTable, stepsToReach } from "../../src/studies/minSnrVerdict.ts";
import { stubContext } from "../stages/context.ts";

const evaluation = (fdClf: number) => ({ data: { fdClf, classEntropy: 2 }, dir: "/nowhere" });
const bins = (overall: number) => ({
  binEdges: [0, 500, 1000],
  meanLoss: [overall, null],
  overall,
});

Deno.test("armCurvesStage gathers every segment's evaluation in step order and the divergence step", async () => {
  const run = armCurvesStage.run(
    stubContext(),
    { arm: "eps/min-snr-5", target: "eps", weighting: { strategy: "min-snr", gamma: 5 } },
    {
      // step keys arrive as strings: 1000 must come after 250, not before it
      evals: { "1000": evaluation(3), "250": evaluation(9), "500": evaluation(5) },
      bins: { "1000": bins(0.1), "250": bins(0.3), "500": bins(0.2) },
      final: { info: { divergedAt: 700 } },
    } as never,
  );
  const curves = await Effect.runPromise(run) as ArmCurves;
  assert.deepEqual(curves.points.map((p) => [p.step, p.fdClf, p.overallLoss]), [
    [250, 9, 0.3],
    [500, 5, 0.2],
    [1000, 3, 0.1],
  ]);
  assert.equal(curves.divergedAt, 700);
  assert.match(curves.describe, /min-SNR-γ \(γ=5\)/);
});

const arm = (
  name: string,
  target: "eps" | "x0",
  weighting: ArmCurves["weighting"],
  fd: number[],
): ArmCurves => ({
  arm: name,
  target,
  weighting,
  describe: "",
  divergedAt: null,
  points: fd.map((fdClf, i) => ({
    step: 100 * (i + 1),
    fdClf,
    classEntropy: 2,
    binEdges: [],
    binLoss: [],
    overallLoss: 0,
  })),
});

Deno.test("speedupTable() measures each arm against its target's unweighted baseline at 1.2 × its final FD", () => {
  const base = arm("eps/unweighted", "eps", { strategy: "unweighted" }, [20, 14, 11, 10]);
  const fast = arm("eps/min-snr-5", "eps", { strategy: "min-snr", gamma: 5 }, [15, 11, 9, 8]);
  const never = arm("x0/unweighted", "x0", { strategy: "unweighted" }, [30, 29]);
  const groups = (...arms: ArmCurves[]) =>
    groupRuns(Object.fromEntries(arms.map((a) => [a.arm, a])));
  const rows = speedupTable(groups(base, fast, never), null, 1.2);
  // threshold 12: the baseline reaches it at step 300, min-snr at step 200
  assert.equal(stepsToReach(base, 12), 300);
  const byArm = Object.fromEntries(rows.map((r) => [r.arm, r]));
  assert.equal(byArm["eps/unweighted"]!.threshold?.mean, 12);
  assert.equal(byArm["eps/min-snr-5"]!.steps?.mean, 200);
  assert.equal(byArm["eps/min-snr-5"]!.speedup?.mean, 1.5);
  assert.equal(byArm["eps/min-snr-5"]!.label, "eps · min-snr-5");
  // x0's baseline ends at 29: threshold 34.8 is reached at its first evaluation
  assert.equal(byArm["x0/unweighted"]!.steps?.mean, 100);
  assert.equal(byArm["x0/unweighted"]!.speedup?.mean, 1);
  // an explicit threshold no arm reaches gives no speed-up
  const unreached = speedupTable(groups(base, fast), 1, 1.2);
  assert.equal(unreached.find((r) => r.arm === "eps/min-snr-5")!.speedup, null);
});
