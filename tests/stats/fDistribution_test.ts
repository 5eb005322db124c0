import assert from "node:assert/strict";
import {
  fCriticalValue,
  fSurvival,
  logGamma,
  regularizedIncompleteBeta,
  StatsInputError,
} from "../../src/stats/mod.ts";
import { assertClose } from "./_helpers.ts";

const XS = [0, 1e-6, 0.01, 0.1, 0.25, 0.37, 0.5, 0.63, 0.9, 0.999, 1];
const SHAPES = [0.1, 0.5, 1, 2.5, 7, 30, 150];

Deno.test("logGamma() matches factorials and Γ(½) = √π, Γ(3/2) = √π/2", () => {
  let factorial = 1;
  for (let n = 1; n <= 25; n++) {
    if (n > 1) factorial *= n - 1;
    assertClose(logGamma(n), Math.log(factorial), { atol: 1e-12, rtol: 1e-13 }, `ln Γ(${n})`);
  }
  assertClose(logGamma(0.5), Math.log(Math.sqrt(Math.PI)), { atol: 1e-14 }, "ln Γ(½)");
  assertClose(logGamma(1.5), Math.log(Math.sqrt(Math.PI) / 2), { atol: 1e-14 }, "ln Γ(3/2)");
  // Below ½ through the reflection formula; references from scipy.special.gamma 1.17.1.
  assertClose(Math.exp(logGamma(0.1)), 9.513507698668732, { rtol: 1e-13 }, "Γ(0.1)");
  assertClose(Math.exp(logGamma(0.25)), 3.625609908221908, { rtol: 1e-13 }, "Γ(0.25)");
  assert.throws(() => logGamma(0), StatsInputError);
});

Deno.test("regularizedIncompleteBeta() matches I_x(1,1) = x, I_x(a,1) = x^a, I_x(1,b) = 1−(1−x)^b", () => {
  for (const x of XS) {
    assertClose(regularizedIncompleteBeta(x, 1, 1), x, { atol: 1e-14 }, `I_${x}(1,1)`);
    for (const s of SHAPES) {
      assertClose(regularizedIncompleteBeta(x, s, 1), x ** s, { atol: 1e-13 }, `I_${x}(${s},1)`);
      assertClose(
        regularizedIncompleteBeta(x, 1, s),
        1 - (1 - x) ** s,
        { atol: 1e-13 },
        `I_${x}(1,${s})`,
      );
    }
  }
});

Deno.test("regularizedIncompleteBeta() matches the closed forms for (2,2) and (½,½)", () => {
  for (const x of XS) {
    // I_x(2,2) = 3x² − 2x³; I_x(½,½) = (2/π) arcsin √x (the arcsine distribution).
    assertClose(regularizedIncompleteBeta(x, 2, 2), 3 * x ** 2 - 2 * x ** 3, { atol: 1e-14 }, "");
    assertClose(
      regularizedIncompleteBeta(x, 0.5, 0.5),
      (2 / Math.PI) * Math.asin(Math.sqrt(x)),
      { atol: 1e-13 },
      `I_${x}(½,½)`,
    );
  }
  for (const a of SHAPES) {
    // ln B(a, a) for large a is a difference of large ln Γ values: about 1e-16 · a ln a absolute.
    assertClose(regularizedIncompleteBeta(0.5, a, a), 0.5, { atol: 1e-12 }, `I_½(${a},${a})`);
  }
});

Deno.test("regularizedIncompleteBeta() is symmetric: I_x(a,b) = 1 − I_{1−x}(b,a)", () => {
  for (const x of XS) {
    for (const a of SHAPES) {
      for (const b of SHAPES) {
        const lhs = regularizedIncompleteBeta(x, a, b);
        const rhs = 1 - regularizedIncompleteBeta(1 - x, b, a);
        // 1 − (1 − x) ≠ x in floating point (relative error ~1e-11 at x = 1e-6), hence 1e-11.
        assertClose(lhs, rhs, { atol: 1e-11 }, `x = ${x}, a = ${a}, b = ${b}`);
        assert.ok(lhs >= 0 && lhs <= 1, `I in [0, 1] at x = ${x}, a = ${a}, b = ${b}`);
      }
    }
  }
});

Deno.test("regularizedIncompleteBeta() agrees with independently computed values", () => {
  // scipy.special.betainc(a, b, x), scipy 1.17.1.
  const cases: [number, number, number, number][] = [
    [0.3, 2.5, 7.5, 0.6789434858661821],
    [0.2, 0.5, 0.5, 0.2951672353008665],
    [0.45, 30, 40, 0.6447480085585666],
    [0.41, 200, 300, 0.677628164772179],
    [0.05, 0.1, 3, 0.848330282989654],
  ];
  for (const [x, a, b, expected] of cases) {
    assertClose(regularizedIncompleteBeta(x, a, b), expected, { rtol: 1e-11 }, `I_${x}(${a},${b})`);
  }
});

Deno.test("regularizedIncompleteBeta() rejects x outside [0, 1] and shapes ≤ 0", () => {
  assert.throws(() => regularizedIncompleteBeta(1.5, 1, 1), /x must lie in \[0, 1\], got 1.5/);
  assert.throws(() => regularizedIncompleteBeta(Number.NaN, 1, 1), StatsInputError);
  assert.throws(() => regularizedIncompleteBeta(0.5, 0, 1), /a must be a finite number > 0/);
  assert.throws(() => regularizedIncompleteBeta(0.5, 1, -2), /b must be a finite number > 0/);
});

Deno.test("fSurvival() matches the closed forms for d1 = 2, d2 = 2 and d1 = d2 = 1", () => {
  for (const f of [0.01, 0.3, 1, 2.7, 10, 55]) {
    for (const d of [1, 3, 10, 47]) {
      // d1 = 2: P(F > f) = (1 + 2f/d2)^(−d2/2).
      assertClose(fSurvival(f, 2, d), (1 + (2 * f) / d) ** (-d / 2), { rtol: 1e-12 }, `F(2,${d})`);
      // d2 = 2: P(F > f) = 1 − (d1 f / (d1 f + 2))^(d1/2).
      const r = (d * f) / (d * f + 2);
      assertClose(fSurvival(f, d, 2), 1 - r ** (d / 2), { atol: 1e-14, rtol: 1e-11 }, `F(${d},2)`);
    }
    // F(1,1) is the square of a Cauchy variable: P(F > f) = 1 − (2/π) atan √f.
    assertClose(fSurvival(f, 1, 1), 1 - (2 / Math.PI) * Math.atan(Math.sqrt(f)), { atol: 1e-14 });
  }
});

Deno.test("fSurvival() reproduces F critical values from a statistics table", () => {
  // [alpha, d1, d2, tabulated F_{1−alpha}(d1, d2) to 3 decimals]; the last is χ²₁(0.95) = 3.841.
  const table: [number, number, number, number][] = [
    [0.05, 2, 10, 4.103],
    [0.01, 3, 20, 4.938],
    [0.05, 3, 20, 3.098],
    [0.05, 1, 10, 4.965],
    [0.05, 4, 30, 2.690],
    [0.05, 10, 10, 2.978],
    [0.01, 5, 12, 5.064],
    [0.05, 1, 1e6, 3.841],
  ];
  for (const [alpha, d1, d2, value] of table) {
    // Rounding to 3 decimals puts the exact critical value within ±0.0005 of the table's.
    const what = `F_${1 - alpha}(${d1}, ${d2}) = ${value}`;
    assert.ok(fSurvival(value - 0.0005, d1, d2) > alpha, `${what}: lower bracket`);
    assert.ok(fSurvival(value + 0.0005, d1, d2) < alpha, `${what}: upper bracket`);
    assertClose(fCriticalValue(alpha, d1, d2), value, { atol: 0.0005 }, what);
  }
});

Deno.test("fSurvival() keeps small p-values accurate and stays in [0, 1], decreasing in f", () => {
  // scipy.stats.f.sf(50, 3, 40), scipy 1.17.1.
  assertClose(fSurvival(50, 3, 40), 1.3443392666414079e-13, { rtol: 1e-9 }, "P(F(3,40) > 50)");
  for (const [d1, d2] of [[1, 1], [2, 7], [9, 3], [20, 200], [0.5, 2.5]] as const) {
    let previous = 1;
    for (let f = 0; f <= 40; f += 0.25) {
      const p = fSurvival(f, d1, d2);
      assert.ok(p >= 0 && p <= 1, `p = ${p} in [0, 1] at f = ${f}, d = (${d1}, ${d2})`);
      assert.ok(p <= previous + 1e-15, `decreasing at f = ${f}, d = (${d1}, ${d2})`);
      previous = p;
    }
  }
});

Deno.test("fSurvival() gives 1 at f ≤ 0, 0 at ∞, NaN at NaN, and rejects bad degrees of freedom", () => {
  assert.equal(fSurvival(0, 3, 4), 1);
  assert.equal(fSurvival(-2, 3, 4), 1);
  assert.equal(fSurvival(Number.POSITIVE_INFINITY, 3, 4), 0);
  assert.ok(Number.isNaN(fSurvival(Number.NaN, 3, 4)));
  assert.throws(() => fSurvival(1, 0, 4), /numerator degrees of freedom d1 must be/);
  assert.throws(() => fSurvival(1, 3, Number.POSITIVE_INFINITY), /denominator degrees/);
});

Deno.test("fCriticalValue() inverts fSurvival()", () => {
  for (const alpha of [0.2, 0.05, 0.01, 0.001]) {
    for (const [d1, d2] of [[1, 5], [3, 12], [8, 100]] as const) {
      const f = fCriticalValue(alpha, d1, d2);
      assertClose(
        fSurvival(f, d1, d2),
        alpha,
        { rtol: 1e-9 },
        `alpha = ${alpha}, d = (${d1}, ${d2})`,
      );
    }
  }
  assert.throws(() => fCriticalValue(1, 2, 3), /alpha must lie in \(0, 1\)/);
});
