import assert from "node:assert/strict";
import { leastSquares, StatsInputError } from "../../src/stats/mod.ts";
import { assertClose, testRng } from "./_helpers.ts";

/** Row-major n × p design from a row function. */
function design(n: number, p: number, entry: (i: number, j: number) => number): Float64Array {
  const x = new Float64Array(n * p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) x[i * p + j] = entry(i, j);
  return x;
}

Deno.test("leastSquares() recovers an exact line with zero residual", () => {
  const fit = leastSquares([1, 0, 1, 1, 1, 2, 1, 3], 4, 2, [1, 3, 5, 7]);
  assert.equal(fit.rank, 2);
  assert.deepEqual(fit.aliased, []);
  assertClose(fit.coefficients[0]!, 1, { atol: 1e-14 }, "intercept");
  assertClose(fit.coefficients[1]!, 2, { atol: 1e-14 }, "slope");
  assertClose(fit.rss, 0, { atol: 1e-26 }, "rss");
});

Deno.test("leastSquares() matches the closed form of simple linear regression", () => {
  const rng = testRng(7);
  const n = 40;
  const t = Array.from({ length: n }, () => 10 * rng.uniform());
  const y = t.map((v) => 3 - 0.7 * v + rng.normal());
  const mt = t.reduce((a, b) => a + b) / n;
  const my = y.reduce((a, b) => a + b) / n;
  let sxx = 0, sxy = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (t[i]! - mt) ** 2;
    sxy += (t[i]! - mt) * (y[i]! - my);
    syy += (y[i]! - my) ** 2;
  }
  const fit = leastSquares(design(n, 2, (i, j) => (j === 0 ? 1 : t[i]!)), n, 2, y);
  assertClose(fit.coefficients[1]!, sxy / sxx, { rtol: 1e-12 }, "slope Sxy/Sxx");
  assertClose(fit.coefficients[0]!, my - (sxy / sxx) * mt, { rtol: 1e-12 }, "intercept");
  assertClose(fit.rss, syy - (sxy * sxy) / sxx, { rtol: 1e-11 }, "RSS = Syy − Sxy²/Sxx");
});

Deno.test("leastSquares() leaves residuals orthogonal to every column", () => {
  const rng = testRng(3);
  const [n, p] = [50, 6];
  const x = design(n, p, () => rng.normal());
  const y = Array.from({ length: n }, () => rng.normal());
  const fit = leastSquares(x, n, p, y);
  assert.equal(fit.rank, p);
  const residual = y.map((v, i) => {
    let fitted = 0;
    for (let j = 0; j < p; j++) fitted += x[i * p + j]! * fit.coefficients[j]!;
    return v - fitted;
  });
  for (let j = 0; j < p; j++) {
    let dot = 0;
    for (let i = 0; i < n; i++) dot += x[i * p + j]! * residual[i]!;
    assertClose(dot, 0, { atol: 1e-12 }, `Xᵀr column ${j}`);
  }
  assertClose(residual.reduce((a, r) => a + r * r, 0), fit.rss, { rtol: 1e-12 }, "rss = ‖r‖²");
});

Deno.test("leastSquares() skips aliased and zero columns without changing the fit", () => {
  const rng = testRng(11);
  const n = 30;
  const a = Array.from({ length: n }, () => rng.normal());
  const b = Array.from({ length: n }, () => rng.normal());
  const y = a.map((v, i) => 1 + v - 2 * b[i]! + 0.1 * rng.normal());
  const base = leastSquares(design(n, 3, (i, j) => [1, a[i]!, b[i]!][j]!), n, 3, y);
  // 2a − b is new; after it b = 2a − (2a − b), the zero column and a + b all follow from earlier ones.
  const cols = (i: number) => [1, a[i]!, 2 * a[i]! - b[i]!, b[i]!, 0, a[i]! + b[i]!];
  const wide = leastSquares(design(n, 6, (i, j) => cols(i)[j]!), n, 6, y);
  assert.equal(wide.rank, 3);
  assert.deepEqual(wide.aliased, [3, 4, 5]);
  assertClose(wide.rss, base.rss, { rtol: 1e-10 }, "same RSS as the full-rank model");
  for (const j of wide.aliased) assert.equal(wide.coefficients[j], 0, `aliased β_${j} is 0`);
});

Deno.test("leastSquares() caps the rank at the number of rows", () => {
  const rng = testRng(5);
  const fit = leastSquares(design(3, 5, () => rng.normal()), 3, 5, [1, 2, 3]);
  assert.equal(fit.rank, 3);
  assert.deepEqual(fit.aliased, [3, 4]);
  assertClose(fit.rss, 0, { atol: 1e-20 }, "three independent columns interpolate three rows");
});

Deno.test("leastSquares() rejects mismatched shapes and non-finite input", () => {
  assert.throws(() => leastSquares([1, 2, 3], 2, 2, [1, 2]), /design matrix has 3 values/);
  assert.throws(() => leastSquares([1, 2], 2, 1, [1]), /response has 1 values, expected 2/);
  assert.throws(() => leastSquares([1, Number.NaN], 2, 1, [1, 2]), /NaN at row 1, column 0/);
  assert.throws(() => leastSquares([1, 1], 2, 1, [1, Infinity]), StatsInputError);
});
