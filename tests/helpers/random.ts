/**
 * The seeded generator of the tests: mulberry32 with Box–Muller normals, written out here so
 * that test data never depend on the code under test.
 */

export interface TestRng {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal (two uniforms per draw). */
  normal(): number;
}

export function testRng(seed: number): TestRng {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => {
    const u = 1 - uniform(); // (0, 1]: the log is finite
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
  return { uniform, normal };
}

/** `n` values uniform in [-1, 1). */
export function uniformArray(n: number, seed: number): Float32Array {
  const rng = testRng(seed);
  return Float32Array.from({ length: n }, () => rng.uniform() * 2 - 1);
}

/** `n` standard-normal values times `scale`. */
export function normalArray(n: number, seed: number, scale = 1): Float32Array {
  const { uniform } = testRng(seed);
  return Float32Array.from(
    { length: n },
    () => scale * Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()),
  );
}
