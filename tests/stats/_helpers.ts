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

/** mulberry32 + Box–Muller, independent of the code under test. */
export function testRng(seed: number): { uniform(): number; normal(): number } {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => {
    const u = 1 - uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
  return { uniform, normal };
}
