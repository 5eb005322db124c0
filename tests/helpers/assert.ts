/** The tolerance assert of every numeric test. */
import assert from "node:assert/strict";

export interface Tolerance {
  readonly atol?: number;
  readonly rtol?: number;
}

/**
 * |a − b| ≤ atol + rtol·|b| for a number, or for every element of two arrays of one length,
 * with a message naming what was compared (and the first element that is off).
 */
export function assertClose(
  actual: number | ArrayLike<number>,
  expected: number | ArrayLike<number>,
  tol: Tolerance,
  what = "",
): void {
  const atol = tol.atol ?? 0;
  const rtol = tol.rtol ?? 0;
  const close = (a: number, e: number) => Math.abs(a - e) <= atol + rtol * Math.abs(e);
  const bound = (e: number) => `${e} ± (${atol} + ${rtol}·|x|)`;
  if (typeof actual === "number" && typeof expected === "number") {
    assert.ok(close(actual, expected), `${what}: expected ${bound(expected)}, got ${actual}`);
    return;
  }
  if (typeof actual === "number" || typeof expected === "number") {
    return assert.fail(`${what}: compares a number with an array`);
  }
  assert.equal(actual.length, expected.length, `${what}: lengths differ`);
  for (let i = 0; i < actual.length; i++) {
    const a: number = actual[i]!, e: number = expected[i]!;
    if (!close(a, e)) assert.fail(`${what}: element ${i}: expected ${bound(e)}, got ${a}`);
  }
}
