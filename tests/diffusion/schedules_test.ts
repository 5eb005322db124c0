import assert from "node:assert/strict";
import { DiffusionConfigError } from "../../src/diffusion/errors.ts";
import {
  coefAt,
  describeSchedule,
  makeSchedule,
  rescaleZeroTerminalSnr,
  SCHEDULE_FAMILIES,
  scheduleCosine,
  scheduleLinear,
  scheduleScaledLinear,
  scheduleSigmoid,
} from "../../src/diffusion/schedules.ts";
import { assertClose } from "./_helpers.ts";

Deno.test("scheduleLinear() matches the DDPM product formula and hand values", () => {
  const s = scheduleLinear();
  assert.equal(s.T, 1000);
  assert.equal(s.betas[0], 1e-4);
  assertClose(s.betas[999]!, 0.02, { atol: 1e-15 });
  // ᾱ_0 = 1 - β_0; ᾱ_1 = 0.9999·(1 - (1e-4 + 0.0199/999)) by hand; the others from Python floats.
  assertClose(s.alphasCumprod[0]!, 0.9999, { rtol: 1e-14 });
  assertClose(s.alphasCumprod[1]!, 0.999780092072072, { rtol: 1e-12 });
  assertClose(s.alphasCumprod[499]!, 0.07858724288177821, { rtol: 1e-10 });
  assertClose(s.alphasCumprod[999]!, 4.0358297653756754e-5, { rtol: 1e-9 });
  let prod = 1;
  for (let t = 0; t < 1000; t++) {
    prod *= 1 - (1e-4 + ((0.02 - 1e-4) * t) / 999);
    if (t % 97 === 0) assertClose(s.alphasCumprod[t]!, prod, { rtol: 1e-12 }, `t=${t}`);
  }
});

Deno.test("scheduleCosine() gives ᾱ_t = f(t+1)/f(0) where β is not clipped", () => {
  const s = scheduleCosine();
  const f = (t: number) => Math.cos(((t / 1000 + 0.008) / 1.008) * Math.PI / 2) ** 2;
  for (const t of [0, 1, 100, 500, 900, 998]) {
    assertClose(s.alphasCumprod[t]!, f(t + 1) / f(0), { rtol: 1e-9 }, `t=${t}`);
  }
  // The last β is clipped at 0.999, so ᾱ_999 = ᾱ_998 · 0.001 rather than f(1000)/f(0) ≈ 0.
  assertClose(s.betas[999]!, 0.999, { atol: 1e-15 });
  assertClose(s.alphasCumprod[999]!, s.alphasCumprod[998]! * 0.001, { rtol: 1e-12 });
});

Deno.test("scheduleCosine() spans SNR 2.4e4 down to 2.4e-9 and γ = 5 clamps exactly t < 261", () => {
  const s = scheduleCosine();
  assertClose(s.snr[0]!, 2.42e4, { rtol: 0.005 }, "SNR(0)");
  assertClose(s.snr[999]!, 2.43e-9, { rtol: 0.005 }, "SNR(999)");
  assert.ok(s.snr[260]! > 5 && s.snr[261]! < 5, `SNR(260)=${s.snr[260]}, SNR(261)=${s.snr[261]}`);
  assert.equal(s.snr.filter((x) => x > 5).length, 261);
});

Deno.test("scheduleScaledLinear() is linear in √β from 0.00085 to 0.012", () => {
  const s = scheduleScaledLinear();
  assertClose(s.betas[0]!, 0.00085, { rtol: 1e-12 });
  assertClose(s.betas[999]!, 0.012, { rtol: 1e-12 });
  const mid = (Math.sqrt(0.00085) + (Math.sqrt(0.012) - Math.sqrt(0.00085)) * (500 / 999)) ** 2;
  assertClose(s.betas[500]!, mid, { rtol: 1e-12 });
  let prod = 1;
  for (let t = 0; t <= 700; t++) prod *= 1 - s.betas[t]!;
  assertClose(s.alphasCumprod[700]!, prod, { rtol: 1e-12 });
});

Deno.test("scheduleSigmoid() follows Chen 2023's normalised sigmoid ᾱ", () => {
  const s = scheduleSigmoid();
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  const g = (t: number) => (sig(3) - sig(6 * (t / 1000) - 3)) / (sig(3) - sig(-3));
  for (const t of [0, 250, 500, 998]) {
    assertClose(s.alphasCumprod[t]!, g(t + 1) / g(0), { rtol: 1e-9 }, `t=${t}`);
  }
});

Deno.test("makeSchedule() tables are consistent for every family: α²+σ²=1, SNR, log-SNR, monotone", () => {
  for (const family of SCHEDULE_FAMILIES) {
    for (const zeroTerminalSnr of [false, true]) {
      const s = makeSchedule({ family, zeroTerminalSnr });
      for (let t = 0; t < s.T; t++) {
        const a = s.alpha[t]!;
        const sg = s.sigma[t]!;
        assertClose(a * a + sg * sg, 1, { atol: 1e-12 }, `${family} t=${t}`);
        assertClose(s.snr[t]!, (a * a) / (sg * sg), { rtol: 1e-9 }, `${family} snr t=${t}`);
        if (s.snr[t]! > 0) {
          assertClose(s.logSnr[t]!, Math.log(s.snr[t]!), { atol: 1e-9 }, `${family} log t=${t}`);
        }
        if (t > 0) assert.ok(s.snr[t]! < s.snr[t - 1]!, `${family} SNR not decreasing at t=${t}`);
        assert.ok(Number.isFinite(s.snr[t]!), `${family} SNR(${t}) finite`);
      }
    }
  }
});

Deno.test("rescaleZeroTerminalSnr() gives SNR(T-1) = 0 exactly and keeps the first value", () => {
  for (const family of SCHEDULE_FAMILIES) {
    const base = makeSchedule({ family });
    const z = makeSchedule({ family, zeroTerminalSnr: true });
    assert.equal(z.snr[999], 0);
    assert.equal(z.alpha[999], 0);
    assert.equal(z.logSnr[999], -Infinity);
    assert.equal(z.alphasCumprod[0], base.alphasCumprod[0]);
    assert.equal(z.alpha[0], base.alpha[0]);
    assert.equal(z.config.zeroTerminalSnr, true);
    // Lin et al. Algorithm 1: √ᾱ shifted by its last value and scaled to keep the first.
    const a0 = base.alpha[0]!;
    const aT = base.alpha[999]!;
    for (const t of [1, 300, 998]) {
      assertClose(
        z.alpha[t]!,
        ((base.alpha[t]! - aT) * a0) / (a0 - aT),
        { rtol: 1e-12 },
        `${family} t=${t}`,
      );
    }
    // The rescale commutes with makeSchedule's flag.
    assert.deepEqual(rescaleZeroTerminalSnr(base).alphasCumprod, z.alphasCumprod);
  }
});

Deno.test("makeSchedule() rejects an unknown family or field, naming it", () => {
  assert.throws(() => makeSchedule({ family: "quadratic" }), (e: unknown) => {
    assert.ok(e instanceof DiffusionConfigError);
    assert.match(e.message, /field "family"/);
    return true;
  });
  assert.throws(() => makeSchedule({ family: "cosine", betaStart: 0.1 }), /field "betaStart"/);
  assert.throws(() => makeSchedule({ family: "linear", T: 1.5 }), /field "T"/);
  assert.throws(() => makeSchedule({ family: "sigmoid", start: 2, end: 1 }), /field "end"/);
  assert.throws(() => makeSchedule("cosine"), DiffusionConfigError);
});

Deno.test("makeSchedule() honours T and records its resolved config", () => {
  const s = makeSchedule({ family: "cosine", T: 10 });
  assert.equal(s.T, 10);
  assert.equal(s.alpha.length, 10);
  assert.deepEqual(s.config, {
    family: "cosine",
    T: 10,
    zeroTerminalSnr: false,
    s: 0.008,
    maxBeta: 0.999,
  });
  assert.equal(
    describeSchedule(scheduleCosine({ zeroTerminalSnr: true })),
    "cosine(T=1000, s=0.008, maxBeta=0.999, zero-terminal-SNR)",
  );
});

Deno.test("coefAt() reads the table at integers and interpolates log-SNR between them", () => {
  const s = scheduleCosine();
  assert.deepEqual(coefAt(s, 123), { alpha: s.alpha[123], sigma: s.sigma[123] });
  const c = coefAt(s, 123.5);
  assertClose(c.alpha ** 2 + c.sigma ** 2, 1, { atol: 1e-12 });
  assertClose(Math.log(c.alpha ** 2 / c.sigma ** 2), (s.logSnr[123]! + s.logSnr[124]!) / 2, {
    atol: 1e-9,
  });
  const z = scheduleCosine({ zeroTerminalSnr: true });
  const e = coefAt(z, 998.5);
  assertClose(e.alpha, (z.alpha[998]! + 0) / 2, { rtol: 1e-12 });
  assert.throws(() => coefAt(s, 999.5), RangeError);
  assert.throws(() => coefAt(s, -1), RangeError);
});
