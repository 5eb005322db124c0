import assert from "node:assert/strict";
import { DiffusionConfigError } from "../../src/diffusion/errors.ts";
import { makeSchedule, SCHEDULE_FAMILIES, scheduleCosine } from "../../src/diffusion/schedules.ts";
import { type Target, TARGETS } from "../../src/diffusion/targets.ts";
import {
  lossMultiplier,
  lossMultiplierTable,
  parseWeightingConfig,
  resolveWeighting,
  type Weighting,
  type WeightingConfig,
  WEIGHTINGS,
  xZeroSpaceWeight,
} from "../../src/diffusion/weightings.ts";
import { assertClose } from "./_helpers.ts";

const G = 5;
const gammaFor = (w: Weighting) => (w === "max-snr" || w === "min-snr" ? G : undefined);

/** docs/methods.md#weightings, by hand at SNR 0.25, 4, 25 with γ = 5: [x0, eps, v] multipliers. */
const TABLE: Record<Exclude<Weighting, "unweighted">, Record<number, [number, number, number]>> = {
  constant: { 0.25: [1, 4, 0.8], 4: [1, 0.25, 0.2], 25: [1, 0.04, 1 / 26] },
  snr: { 0.25: [0.25, 1, 0.2], 4: [4, 1, 0.8], 25: [25, 1, 25 / 26] },
  "max-snr": { 0.25: [5, 20, 4], 4: [5, 1.25, 1], 25: [25, 1, 25 / 26] },
  "min-snr": { 0.25: [0.25, 1, 0.2], 4: [4, 1, 0.8], 25: [5, 0.2, 5 / 26] },
  "truncated-snr": { 0.25: [1, 4, 0.8], 4: [4, 1, 0.8], 25: [25, 1, 25 / 26] },
};
const W: Record<Exclude<Weighting, "unweighted">, Record<number, number>> = {
  constant: { 0.25: 1, 4: 1, 25: 1 },
  snr: { 0.25: 0.25, 4: 4, 25: 25 },
  "max-snr": { 0.25: 5, 4: 5, 25: 25 },
  "min-snr": { 0.25: 0.25, 4: 4, 25: 5 },
  "truncated-snr": { 0.25: 1, 4: 4, 25: 25 },
};

Deno.test("lossMultiplier() matches every cell of the weightings table at three SNRs", () => {
  for (
    const [strategy, rows] of Object.entries(TABLE) as [
      Exclude<Weighting, "unweighted">,
      typeof TABLE.snr,
    ][]
  ) {
    for (const [snrText, cells] of Object.entries(rows)) {
      const snr = Number(snrText);
      for (const target of TARGETS) {
        const expected = target === "x0" ? cells[0] : target === "eps" ? cells[1] : cells[2];
        assertClose(lossMultiplier(strategy, target, snr, gammaFor(strategy)), expected, {
          rtol: 1e-14,
        }, `${strategy}/${target}@${snr}`);
      }
      assertClose(xZeroSpaceWeight(strategy, snr, gammaFor(strategy)), W[strategy][snr]!, {
        rtol: 1e-14,
      });
    }
  }
});

Deno.test("lossMultiplier('unweighted') is 1 on every target; its x0-space weight is SNR, SNR+1, 1", () => {
  for (const snr of [0.25, 4, 25]) {
    for (const target of TARGETS) assert.equal(lossMultiplier("unweighted", target, snr), 1);
    assert.equal(xZeroSpaceWeight("unweighted", snr, undefined, "eps"), snr);
    assert.equal(xZeroSpaceWeight("unweighted", snr, undefined, "v"), snr + 1);
    assert.equal(xZeroSpaceWeight("unweighted", snr, undefined, "x0"), 1);
  }
  assert.throws(() => xZeroSpaceWeight("unweighted", 1), /field "target"/);
});

Deno.test("lossMultiplier() at real cosine timesteps equals w/SNR (ε), w/(SNR+1) (v), w (x0)", () => {
  const s = scheduleCosine();
  for (const t of [0, 100, 260, 261, 500, 999]) {
    const snr = s.snr[t]!;
    for (const strategy of WEIGHTINGS) {
      if (strategy === "unweighted") continue;
      const w = xZeroSpaceWeight(strategy, snr, gammaFor(strategy));
      assertClose(lossMultiplier(strategy, "x0", snr, gammaFor(strategy)), w, { rtol: 1e-14 });
      assertClose(lossMultiplier(strategy, "eps", snr, gammaFor(strategy)), w / snr, {
        rtol: 1e-14,
      });
      assertClose(lossMultiplier(strategy, "v", snr, gammaFor(strategy)), w / (snr + 1), {
        rtol: 1e-14,
      });
    }
    // min-SNR-γ for ε is min(γ/SNR, 1) (the form in the authors' code).
    assertClose(lossMultiplier("min-snr", "eps", snr, G), Math.min(G / snr, 1), { rtol: 1e-14 });
  }
  // γ = 5 clamps exactly t < 261 under cosine: multiplier for ε below 1 there, 1 from 261 on.
  assert.ok(lossMultiplier("min-snr", "eps", s.snr[260]!, G) < 1);
  assert.equal(lossMultiplier("min-snr", "eps", s.snr[261]!, G), 1);
});

Deno.test("lossMultiplier() for v divides by SNR+1, not SNR nor min(SNR+1, γ)", () => {
  // At SNR = 4, γ = 5: right 4/5; dividing by SNR would give 1, the old min(SNR+1,γ)/(SNR+1) also 1.
  assertClose(lossMultiplier("min-snr", "v", 4, 5), 0.8, { rtol: 1e-15 });
  assertClose(lossMultiplier("snr", "v", 9, undefined), 0.9, { rtol: 1e-15 });
});

Deno.test("lossMultiplier() is exactly 1 at SNR = 0 for every strategy and target", () => {
  for (const strategy of WEIGHTINGS) {
    for (const target of TARGETS) {
      assert.equal(
        lossMultiplier(strategy, target, 0, gammaFor(strategy)),
        1,
        `${strategy}/${target}`,
      );
    }
  }
  // The x0-space weights themselves are finite there.
  assert.equal(xZeroSpaceWeight("constant", 0), 1);
  assert.equal(xZeroSpaceWeight("snr", 0), 0);
  assert.equal(xZeroSpaceWeight("max-snr", 0, G), G);
  assert.equal(xZeroSpaceWeight("min-snr", 0, G), 0);
  assert.equal(xZeroSpaceWeight("truncated-snr", 0), 1);
});

Deno.test("lossMultiplierTable() is finite and positive at every t of every schedule, zero terminal SNR included", () => {
  for (const family of SCHEDULE_FAMILIES) {
    const s = makeSchedule({ family, zeroTerminalSnr: true });
    for (const strategy of WEIGHTINGS) {
      const config = parseWeightingConfig(
        gammaFor(strategy) === undefined ? { strategy } : { strategy, gamma: G },
      );
      for (const target of TARGETS) {
        const table = lossMultiplierTable(resolveWeighting(config, target), s);
        assert.equal(table.length, 1000);
        assert.ok(
          table.every((m) => Number.isFinite(m) && m > 0),
          `${family}/${strategy}/${target}`,
        );
        assert.equal(table[999], 1);
      }
    }
  }
});

Deno.test("lossMultiplier() rejects unknown strategies, bad γ and non-finite SNR", () => {
  assert.throws(() => lossMultiplier("soft-min-snr" as Weighting, "eps", 1), (e: unknown) => {
    assert.ok(e instanceof DiffusionConfigError);
    assert.match(e.message, /field "strategy".*soft-min-snr/);
    return true;
  });
  assert.throws(() => lossMultiplier("min-snr", "eps", 1), /field "gamma"/);
  assert.throws(() => lossMultiplier("min-snr", "eps", 1, 0), /field "gamma"/);
  assert.throws(() => lossMultiplier("snr", "eps", 1, 5), /takes no γ/);
  assert.throws(() => lossMultiplier("snr", "score" as "eps", 1), /field "target"/);
  assert.throws(() => lossMultiplier("snr", "eps", Infinity), RangeError);
  assert.throws(() => lossMultiplier("snr", "eps", Number.NaN), RangeError);
  assert.throws(() => lossMultiplier("snr", "eps", -1), RangeError);
  assert.throws(() => parseWeightingConfig({ strategy: "min-snr" }), /field "gamma"/);
  assert.throws(() => parseWeightingConfig({ strategy: "snr", gamma: 5 }), /field "gamma"/);
  assert.throws(() => parseWeightingConfig({ strategy: "uniform" }), /field "strategy"/);
});

const describeWeighting = (strategy: Weighting, target: Target, gamma?: number) =>
  resolveWeighting(
    (gamma === undefined ? { strategy } : { strategy, gamma }) as WeightingConfig,
    target,
  ).describe;

Deno.test("resolveWeighting() gives the label, the report sentence and the multiplier of one arm", () => {
  const w = resolveWeighting({ strategy: "min-snr", gamma: 5 }, "eps");
  assert.equal(w.label, "min-snr-5");
  assert.equal(resolveWeighting({ strategy: "unweighted" }, "v").label, "unweighted");
  assert.match(w.describe, /min-SNR-γ \(γ=5\)/);
  // eps: m = min(SNR, γ)/SNR
  assert.equal(w.multiplier(10), 0.5);
  assert.equal(w.multiplier(2), 1);
  assert.equal(w.multiplier(0), 1);
  assert.throws(
    () => resolveWeighting({ strategy: "max-snr" } as unknown as WeightingConfig, "x0"),
    /field "gamma"/,
  );
});

Deno.test("resolveWeighting().describe says which 'constant' ran", () => {
  const unweighted = describeWeighting("unweighted", "eps");
  assert.match(unweighted, /authors' code's "constant"/);
  assert.match(unweighted, /x0-space weight SNR\)/);
  const constant = describeWeighting("constant", "eps");
  assert.match(constant, /paper's x0-space weight 1/);
  assert.match(constant, /1\/SNR/);
  assert.match(describeWeighting("min-snr", "v", 5), /min\(SNR, 5\)\/\(SNR\+1\)/);
  assert.throws(() => describeWeighting("min-snr", "v"), /field "gamma"/);
});
