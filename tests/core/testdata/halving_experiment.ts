/**
 * Six arms with known loss curves (floor + scale / step) under successive halving at steps
 * 2 → 4 → 8, keeping half: rung 1 keeps 3 of 6, rung 2 keeps 2 of 3.
 *
 *   arm      floor scale  loss@2  loss@4  loss@8
 *   fast       1     2     2       1.5     1.25
 *   steady   0.5     4     2.5     1.5     1       (ties fast at 4: the sweep order decides)
 *   late       0    16     8       4       2       (best eventually? no: stopped at rung 1)
 *   flat       3     0     3       3       3
 *   diverges   -     -     NaN     …               (ranks last)
 *   good     0.8     1     1.3     1.05    0.925
 */
import { defineExperiment } from "../../../src/core/experiment.ts";
import { halvingPipeline } from "./halving_pipeline.ts";

export const CURVES = [
  { name: "fast", floor: 1, scale: 2 },
  { name: "steady", floor: 0.5, scale: 4 },
  { name: "late", floor: 0, scale: 16 },
  { name: "flat", floor: 3, scale: 0 },
  { name: "diverges", floor: 0, scale: 1 },
  { name: "good", floor: 0.8, scale: 1 },
];

export default defineExperiment({
  name: "halving-toy",
  pipeline: halvingPipeline,
  params: { segment: 2 },
  sweep: {
    grid: { curve: CURVES },
    halving: { metric: "eval.loss", mode: "min", rungs: [2, 4, 8], keep: 1 / 2 },
  },
  backend: "none",
});
