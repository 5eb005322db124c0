import assert from "node:assert/strict";
import {
  type AnovaRow,
  type AnovaTable,
  mainEffectsAnova,
  type Observation,
  oneWayAnova,
} from "../../src/stats/mod.ts";
import { assertClose, testRng } from "./_helpers.ts";

/** Observations of one factor "g" from a map level → responses. */
function groups(data: Record<string, number[]>): Observation[] {
  return Object.entries(data).flatMap(([level, ys]) =>
    ys.map((y) => ({ levels: { g: level }, y }))
  );
}

function row(table: AnovaTable, factor: string): AnovaRow {
  const found = table.rows.find((r) => r.factor === factor);
  assert.ok(found, `row for ${factor}`);
  return found;
}

const TIGHT = { rtol: 1e-12, atol: 1e-12 };

Deno.test("oneWayAnova() reproduces a balanced example computed by hand", () => {
  // Means 2, 5, 8, grand mean 5. SS_between = 3·(9 + 0 + 9) = 54; SS_within = 3 · (1 + 0 + 1) = 6.
  // df = (2, 6); F = (54/2) / (6/6) = 27; with d1 = 2, p = (1 + 2·27/6)^(−3) = 10⁻³ exactly.
  const table = oneWayAnova(groups({ a: [1, 2, 3], b: [4, 5, 6], c: [7, 8, 9] }), "g");
  const g = row(table, "g");
  assert.equal(table.n, 9);
  assert.equal(g.df, 2);
  assertClose(g.ss, 54, TIGHT, "SS_between");
  assertClose(g.ms, 27, TIGHT, "MS_between");
  assert.equal(table.residual.df, 6);
  assertClose(table.residual.ss, 6, TIGHT, "SS_within");
  assertClose(table.residual.ms, 1, TIGHT, "MS_within");
  assertClose(g.f, 27, TIGHT, "F");
  assertClose(g.p, 1e-3, { rtol: 1e-11 }, "p");
  assert.deepEqual(table.notes, []);
});

Deno.test("oneWayAnova() reproduces an unbalanced example computed by hand", () => {
  // a: {2, 4} mean 3; b: {5, 6, 7} mean 6; c: {9, 10, 11, 14} mean 11; grand mean 68/9.
  // SS_between = 2·(41/9)² + 3·(14/9)² + 4·(31/9)² = (3362 + 588 + 3844)/81 = 7794/81.
  // SS_within = (1 + 1) + (1 + 0 + 1) + (4 + 1 + 0 + 9) = 18; df = (2, 6).
  // F = (7794/162) / (18/6) = 7794/486; p = (1 + 2F/6)^(−3).
  const table = oneWayAnova(groups({ a: [2, 4], b: [5, 6, 7], c: [9, 10, 11, 14] }), "g");
  const g = row(table, "g");
  assertClose(g.ss, 7794 / 81, TIGHT, "SS_between");
  assertClose(table.residual.ss, 18, TIGHT, "SS_within");
  assert.equal(g.df, 2);
  assert.equal(table.residual.df, 6);
  const f = 7794 / 486;
  assertClose(g.f, f, TIGHT, "F");
  assertClose(g.p, (1 + (2 * f) / 6) ** -3, { rtol: 1e-11 }, "p");
});

/** The balanced 2 × 3 design with 2 replicates per cell, y[a][b] = [r1, r2]. */
const BALANCED: Record<string, Record<string, number[]>> = {
  a1: { b1: [3, 5], b2: [6, 8], b3: [10, 12] },
  a2: { b1: [6, 8], b2: [9, 13], b3: [12, 14] },
};

function twoFactor(data: Record<string, Record<string, number[]>>): Observation[] {
  return Object.entries(data).flatMap(([a, cells]) =>
    Object.entries(cells).flatMap(([b, ys]) => ys.map((y) => ({ levels: { A: a, B: b }, y })))
  );
}

Deno.test("mainEffectsAnova() equals the classic sums of squares on a balanced design", () => {
  // Row means 44/6, 62/6; column means 5.5, 9, 12; grand mean 106/12.
  // SS_A = 6·((44/6 − 106/12)² + (62/6 − 106/12)²) = 6·(2.25 + 2.25) = 27.
  // SS_B = 4·((5.5 − 106/12)² + (9 − 106/12)² + (12 − 106/12)²) = 254/3.
  // SS_total = 1068 − 106²/12 = 395/3; residual = 395/3 − 27 − 254/3 = 20 on 12 − 4 = 8 df.
  const table = mainEffectsAnova(twoFactor(BALANCED), ["A", "B"]);
  const a = row(table, "A");
  const b = row(table, "B");
  assert.deepEqual([a.df, b.df, table.residual.df], [1, 2, 8]);
  assertClose(a.ss, 27, TIGHT, "SS_A");
  assertClose(b.ss, 254 / 3, TIGHT, "SS_B");
  assertClose(table.residual.ss, 20, TIGHT, "SS_residual");
  assertClose(a.f, 27 / 2.5, TIGHT, "F_A");
  assertClose(b.f, 254 / 3 / 2 / 2.5, TIGHT, "F_B");
  // scipy.stats.f.sf(10.8, 1, 8) and f.sf(16.9333, 2, 8), scipy 1.17.1.
  assertClose(a.p, 0.01108248543106564, { rtol: 1e-10 }, "p_A");
  assertClose(b.p, 0.001333172692058878, { rtol: 1e-10 }, "p_B");
  assert.deepEqual(table.rows.map((r) => r.factor), ["B", "A"], "sorted by F, largest first");
});

/** Solves the 3 × 3 system m·v = r by Cramer's rule (an independent check on the QR). */
function solve3(m: number[][], r: number[]): number[] {
  const det = (q: number[][]) =>
    q[0]![0]! * (q[1]![1]! * q[2]![2]! - q[1]![2]! * q[2]![1]!) -
    q[0]![1]! * (q[1]![0]! * q[2]![2]! - q[1]![2]! * q[2]![0]!) +
    q[0]![2]! * (q[1]![0]! * q[2]![1]! - q[1]![1]! * q[2]![0]!);
  const d = det(m);
  return [0, 1, 2].map((k) =>
    det(m.map((rowK, i) => rowK.map((v, j) => (j === k ? r[i]! : v)))) / d
  );
}

/** Σ (y − mean of y's group)², the RSS of a one-factor model. */
function withinGroupSs(obs: Observation[], factor: string): number {
  const byLevel = new Map<string, number[]>();
  for (const o of obs) {
    byLevel.set(o.levels[factor]!, [...(byLevel.get(o.levels[factor]!) ?? []), o.y]);
  }
  let ss = 0;
  for (const ys of byLevel.values()) {
    const mean = ys.reduce((s, v) => s + v) / ys.length;
    for (const v of ys) ss += (v - mean) ** 2;
  }
  return ss;
}

Deno.test("mainEffectsAnova() gives Type II sums of squares on an unbalanced design", () => {
  const data = {
    a1: { b1: [4, 6], b2: [9] },
    a2: { b1: [7, 8, 10], b2: [12, 14, 13, 15] },
  };
  const obs = twoFactor(data);
  // RSS of y = μ + α·[A = a2] + β·[B = b2] from the normal equations XᵀX θ = Xᵀy, by Cramer.
  const xs = obs.map((o) => [1, o.levels.A === "a2" ? 1 : 0, o.levels.B === "b2" ? 1 : 0]);
  const xtx = [0, 1, 2].map((i) => [0, 1, 2].map((j) => xs.reduce((s, x) => s + x[i]! * x[j]!, 0)));
  const xty = [0, 1, 2].map((i) => xs.reduce((s, x, k) => s + x[i]! * obs[k]!.y, 0));
  const theta = solve3(xtx, xty);
  const rssFull = obs.reduce((s, o, k) => {
    const fitted = xs[k]!.reduce((t, x, j) => t + x * theta[j]!, 0);
    return s + (o.y - fitted) ** 2;
  }, 0);
  const ssA = withinGroupSs(obs, "B") - rssFull; // RSS(B only) − RSS(A + B)
  const ssB = withinGroupSs(obs, "A") - rssFull;
  // The same numbers from numpy.linalg.lstsq (numpy with scipy 1.17.1): RSS 12.32, SS_A 28.88,
  // SS_B 55.775238095238…, p_A 0.004865793415818579, p_B 0.0007912501930323323.
  assertClose(rssFull, 12.32, { rtol: 1e-12 }, "direct RSS(A + B)");
  assertClose(ssA, 28.88, { rtol: 1e-12 }, "direct SS_A");

  const table = mainEffectsAnova(obs, ["A", "B"]);
  assert.equal(table.residual.df, 10 - 3);
  assertClose(table.residual.ss, rssFull, TIGHT, "RSS(A + B)");
  assertClose(row(table, "A").ss, ssA, TIGHT, "Type II SS_A");
  assertClose(row(table, "B").ss, ssB, TIGHT, "Type II SS_B");
  assertClose(row(table, "A").p, 0.004865793415818579, { rtol: 1e-9 }, "p_A");
  assertClose(row(table, "B").p, 0.0007912501930323323, { rtol: 1e-9 }, "p_B");
  // Unbalanced, so Type II differs from the one-way (sequential, A first) SS of A …
  const oneWayA = oneWayAnova(obs, "A");
  assert.ok(Math.abs(oneWayA.rows[0]!.ss - ssA) > 1, "Type II SS_A ≠ one-way SS_A here");
  // … but does not depend on the order of the factors.
  const swapped = mainEffectsAnova(obs, ["B", "A"]);
  assert.deepEqual(swapped.rows.map((r) => r.factor), table.rows.map((r) => r.factor));
  for (const r of table.rows) {
    assertClose(row(swapped, r.factor).ss, r.ss, TIGHT, `SS of ${r.factor}, factors swapped`);
  }
});

Deno.test("mainEffectsAnova() with one factor equals oneWayAnova()", () => {
  const obs = groups({ a: [2, 4], b: [5, 6, 7], c: [9, 10, 11, 14], d: [1] });
  const one = oneWayAnova(obs, "g");
  const main = mainEffectsAnova(obs, ["g"]);
  for (const key of ["df", "ss", "ms", "f", "p"] as const) {
    assertClose(main.rows[0]![key], one.rows[0]![key], TIGHT, key);
  }
  assert.equal(main.residual.df, one.residual.df);
  assertClose(main.residual.ss, one.residual.ss, TIGHT, "residual SS");
});

/** An adapter-like grid: only pairs with output ≥ input exist, four activations, two scales. */
function adapterGrid(seed: number): Observation[] {
  const rng = testRng(seed);
  const obs: Observation[] = [];
  for (let input = 0; input < 5; input++) {
    for (let output = input; output < 5; output++) {
      for (const activation of ["relu", "sigmoid", "silu", "identity"]) {
        for (const scale of ["0.5", "2"]) {
          const y = 0.3 * input - 0.1 * output + (activation === "sigmoid" ? 0.2 : 0) +
            0.05 * rng.normal();
          obs.push({
            levels: { input: `in${input}`, output: `out${output}`, activation, scale },
            y,
          });
        }
      }
    }
  }
  return obs;
}

Deno.test("mainEffectsAnova() is invariant to factor order and level names on an unbalanced grid", () => {
  const obs = adapterGrid(1);
  const factors = ["input", "output", "activation", "scale"];
  const table = mainEffectsAnova(obs, factors);
  assert.equal(table.n, 15 * 8);
  assert.deepEqual(table.rows.map((r) => r.df).sort(), [1, 3, 4, 4]);
  assert.equal(table.residual.df, 120 - (1 + 4 + 4 + 3 + 1));
  assert.equal(table.rows[0]!.factor, "input", "the strongest effect has the largest F");
  for (let i = 1; i < table.rows.length; i++) {
    assert.ok(table.rows[i - 1]!.f >= table.rows[i]!.f, "sorted by F");
  }
  for (const r of table.rows) assert.ok(r.p >= 0 && r.p <= 1, `p of ${r.factor} in [0, 1]`);
  // Reversed factor order and renamed levels (which changes every reference level) agree.
  const renamed = obs.map((o) => ({
    y: o.y,
    levels: Object.fromEntries(Object.entries(o.levels).map(([k, v]) => [k, `z${v.length}-${v}`])),
  }));
  const other = mainEffectsAnova(renamed, [...factors].reverse());
  for (const r of table.rows) {
    const s = row(other, r.factor);
    assertClose(s.ss, r.ss, { rtol: 1e-9, atol: 1e-12 }, `SS of ${r.factor}`);
    assertClose(s.p, r.p, { rtol: 1e-7, atol: 1e-15 }, `p of ${r.factor}`);
  }
  assertClose(other.residual.ss, table.residual.ss, { rtol: 1e-10 }, "residual SS");
});

Deno.test("mainEffectsAnova() p-values lie in [0, 1] on random designs", () => {
  const rng = testRng(9);
  for (let trial = 0; trial < 20; trial++) {
    const n = 8 + Math.floor(30 * rng.uniform());
    const obs = Array.from({ length: n }, () => ({
      levels: {
        a: `a${Math.floor(3 * rng.uniform())}`,
        b: `b${Math.floor(4 * rng.uniform())}`,
      },
      y: rng.normal(),
    }));
    const table = mainEffectsAnova(obs, ["a", "b"]);
    for (const r of table.rows) {
      assert.ok(Number.isNaN(r.p) || (r.p >= 0 && r.p <= 1), `p = ${r.p} in trial ${trial}`);
      assert.ok(r.ss >= 0, "SS ≥ 0");
    }
  }
});
