/** Small assertion and statistics helpers shared by the diffusion tests. */
import assert from "node:assert/strict";

/** |a - b| ≤ atol + rtol·|b|, with a message naming what was compared. */
export function assertClose(
  actual: number,
  expected: number,
  tol: { atol?: number; rtol?: number },
  what = "",
) {
  const atol = tol.atol ?? 0;
  const rtol = tol.rtol ?? 0;
  const ok = Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
  assert.ok(ok, `${what} expected ${expected} ± (${atol} + ${rtol}·|x|), got ${actual}`);
}

export function meanStd(values: ArrayLike<number>): { mean: number; std: number } {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  const mean = sum / values.length;
  let sq = 0;
  for (let i = 0; i < values.length; i++) sq += (values[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(sq / values.length) };
}
