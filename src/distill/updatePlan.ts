/**
 * The order of updates in distribution-matching distillation: per generator step, `ratio`
 * updates of the fake score (DMD: 1, DMD2: 5). Pure bookkeeping, so the counts can be tested
 * and recorded in the artifact without running a model.
 */

export type UpdateKind = "generator" | "fake";

/**
 * The updates of generator step `step` (0-based), in order: the generator update, then `ratio`
 * fake-score updates (the first on the step's own detached samples, the rest on fresh ones).
 * With matching off (regression only) there is no fake score: ratio must be 0.
 */
export const updatesOfStep = (ratio: number): UpdateKind[] => {
  if (!Number.isInteger(ratio) || ratio < 0) {
    throw new RangeError(
      `the fake-score update ratio must be a non-negative integer, got ${ratio}`,
    );
  }
  return ["generator", ...new Array<UpdateKind>(ratio).fill("fake")];
};

/** Total counts over `steps` generator steps. */
export const updateCounts = (steps: number, ratio: number): Record<UpdateKind, number> => {
  const per = updatesOfStep(ratio);
  return {
    generator: steps * per.filter((u) => u === "generator").length,
    fake: steps * per.filter((u) => u === "fake").length,
  };
};
