import assert from "node:assert/strict";
import { StatsInputError, tQuantile, tSurvival } from "../../src/stats/mod.ts";
import { assertClose } from "./_helpers.ts";

const PS = [0.001, 0.025, 0.1, 0.3, 0.5, 0.6, 0.9, 0.975, 0.995, 0.9999];

Deno.test("tSurvival() matches the closed forms for ν = 1 (Cauchy) and ν = 2", () => {
  for (const t of [-30, -2.5, -0.4, 0, 0.1, 1, 4.303, 50]) {
    assertClose(tSurvival(t, 1), 0.5 - Math.atan(t) / Math.PI, { atol: 1e-12 }, `P(T₁ > ${t})`);
    assertClose(
      tSurvival(t, 2),
      0.5 - t / (2 * Math.sqrt(2 + t * t)),
      { atol: 1e-12 },
      `P(T₂ > ${t})`,
    );
  }
  assert.equal(tSurvival(Infinity, 3), 0);
  assert.equal(tSurvival(-Infinity, 3), 1);
  assert.ok(Number.isNaN(tSurvival(NaN, 3)));
});

Deno.test("tQuantile() inverts the closed forms for ν = 1, 2 and 4", () => {
  for (const p of PS) {
    assertClose(
      tQuantile(p, 1),
      Math.tan(Math.PI * (p - 0.5)),
      { rtol: 1e-9, atol: 1e-10 },
      `ν=1 p=${p}`,
    );
    assertClose(
      tQuantile(p, 2),
      (2 * p - 1) / Math.sqrt(2 * p * (1 - p)),
      { rtol: 1e-9, atol: 1e-10 },
      `ν=2 p=${p}`,
    );
    // ν = 4: t = sign(p − ½)·2·√(q − 1), q = cos(⅓ arccos √α)/√α, α = 4p(1 − p)
    const alpha = 4 * p * (1 - p);
    const q = Math.cos(Math.acos(Math.sqrt(alpha)) / 3) / Math.sqrt(alpha);
    assertClose(
      tQuantile(p, 4),
      Math.sign(p - 0.5) * 2 * Math.sqrt(q - 1),
      { rtol: 1e-9, atol: 1e-9 },
      `ν=4 p=${p}`,
    );
  }
});

Deno.test("tQuantile() reproduces the printed table of t_{0.975, ν}", () => {
  const table: [number, number][] = [
    [1, 12.706],
    [2, 4.303],
    [3, 3.182],
    [4, 2.776],
    [
      9,
      2.262,
    ],
    [29, 2.045],
    [120, 1.980],
  ];
  for (const [nu, t] of table) assertClose(tQuantile(0.975, nu), t, { atol: 5e-4 }, `ν=${nu}`);
  // large ν approaches the normal quantile 1.959964
  assertClose(tQuantile(0.975, 1e7), 1.959964, { atol: 1e-5 }, "ν=1e7");
  assert.equal(tQuantile(0.5, 7), 0);
  assert.equal(tQuantile(0.2, 7), -tQuantile(0.8, 7));
});

Deno.test("tQuantile() rejects p outside (0, 1) and ν ≤ 0", () => {
  assert.throws(() => tQuantile(1, 3), StatsInputError);
  assert.throws(() => tQuantile(0, 3), StatsInputError);
  assert.throws(() => tQuantile(0.9, 0), StatsInputError);
  assert.throws(() => tSurvival(1, -1), StatsInputError);
});
