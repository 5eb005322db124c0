/** Tolerance asserts and a seeded generator for the statistics tests. */
import assert from "node:assert/strict";

/** |a − b| ≤ atol + rtol·|b|, with a message naming what was compared. */
export function assertClose(
  actual: number,
  expected: number,
  tol: { atol?: number; rtol?: number },
  what = "",
): void {
  const atol = tol.atol ?? 0;
  const rtol = tol.rtol ?? 0;
  const ok = Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
  assert.ok(ok, `${what}: expected ${expected} ± (${atol} + ${rtol}·|x|), got ${actual}`);
}

/** The shared seeded generator of the metrics tests, independent of the code under test. */
export { testRng } from "../metrics/_helpers.ts";
