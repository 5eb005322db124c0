import assert from "node:assert/strict";
import { tf } from "../../src/tensor/tf.ts";
import {
  type Denoiser,
  gaussianDenoiser,
  makeDenoiser,
  type ModelFn,
} from "../../src/diffusion/denoiser.ts";
import { DiffusionConfigError, DiffusionMathError } from "../../src/diffusion/errors.ts";
import { timestepCoefs } from "../../src/diffusion/noising.ts";
import { makeRng } from "../../src/diffusion/rng.ts";
import {
  sample,
  sampleDdim,
  sampleDdpm,
  sampleDpmpp2m,
  sampleHeun,
  SAMPLER_NAMES,
  samplers,
} from "../../src/diffusion/samplers.ts";
import { coefAt, type Schedule, scheduleCosine } from "../../src/diffusion/schedules.ts";
import { samplingTimesteps } from "../../src/diffusion/spacing.ts";
import { type Target, targetTensor } from "../../src/diffusion/targets.ts";
import { assertClose, meanStd } from "./_helpers.ts";

// Data x_0 ~ N(MU, S²) per element; its exact denoiser is known in closed form.
const MU = 0.5;
const S = 0.3;
const N = 4096;
const cosine = scheduleCosine();
const ztsnr = scheduleCosine({ zeroTerminalSnr: true });
const noise = makeRng(1).normal(N);

/** Runs `fn` on fresh x_T ~ N(0, I) [N/4, 2, 2, 1], returning the samples and checking for leaks. */
function run(fn: (xT: tf.Tensor) => tf.Tensor): Float32Array {
  const xT = tf.tensor(noise, [N / 4, 2, 2, 1]);
  const before = tf.memory().numTensors;
  const out = fn(xT);
  assert.equal(tf.memory().numTensors, before + 1, "a sampler must leave only its result alive");
  assert.deepEqual(out.shape, xT.shape);
  const data = out.dataSync() as Float32Array;
  tf.dispose([out, xT]);
  return data;
}

function assertGaussian(data: Float32Array, stdRtol: number, what: string) {
  const { mean, std } = meanStd(data);
  assertClose(mean, MU, { atol: 0.02 }, `${what} mean`);
  assertClose(std, S, { rtol: stdRtol }, `${what} std`);
}

/** Max error against the exact probability-flow map of N(MU, S²) from the first visited level. */
function flowError(data: Float32Array, schedule: Schedule, t0: number): number {
  const { alpha, sigma } = coefAt(schedule, t0);
  const gain = S / Math.sqrt(alpha * alpha * S * S + sigma * sigma);
  let err = 0;
  for (let i = 0; i < N; i++) {
    err = Math.max(err, Math.abs(data[i]! - (MU + (noise[i]! - alpha * MU) * gain)));
  }
  return err;
}

/** A network with parameterisation `target` built from the exact denoiser (tests makeDenoiser too). */
function exactModel(target: Target, schedule: Schedule): ModelFn {
  const d = gaussianDenoiser(MU, S, schedule);
  return (x, t) =>
    tf.tidy(() => {
      const x0 = d(x, t);
      const { alpha, sigma } = timestepCoefs(schedule, t, x.rank);
      const eps = tf.div(tf.sub(x, tf.mul(x0, alpha)), sigma);
      return targetTensor(target, x0, eps, alpha, sigma);
    });
}

const exact = gaussianDenoiser(MU, S, cosine);

Deno.test("sampleDdim() with η = 0 recovers N(μ, s²) and converges at first order", () => {
  const errs = [25, 50, 100].map((steps) => {
    const data = run((xT) => sampleDdim(exact, xT, cosine, { steps }));
    if (steps === 50) assertGaussian(data, 0.05, "ddim-50");
    return flowError(data, cosine, 999);
  });
  // First order: doubling the steps about halves the error.
  assert.ok(errs[1]! < 0.6 * errs[0]! && errs[2]! < 0.6 * errs[1]!, `errors ${errs}`);
  assert.ok(errs[1]! > 0.3 * errs[0]!, `faster than first order is suspicious: ${errs}`);
});

Deno.test("sampleDpmpp2m() recovers N(μ, s²) in 25 steps, far closer to the flow than DDIM", () => {
  const data = run((xT) => sampleDpmpp2m(exact, xT, cosine, { steps: 25 }));
  assertGaussian(data, 0.03, "dpmpp-2m-25");
  const ddim = run((xT) => sampleDdim(exact, xT, cosine, { steps: 25 }));
  const e2 = flowError(data, cosine, 999);
  assert.ok(e2 < 0.25 * flowError(ddim, cosine, 999), `2M error ${e2}`);
});

Deno.test("sampleHeun() recovers N(μ, s²) and beats DDIM at equal steps", () => {
  const data = run((xT) => sampleHeun(exact, xT, cosine, { steps: 25, spacing: "leading" }));
  assertGaussian(data, 0.05, "heun-25-leading");
  const t0 = samplingTimesteps(cosine, 25, "leading")[0]!;
  const ddim = run((xT) => sampleDdim(exact, xT, cosine, { steps: 25, spacing: "leading" }));
  const eh = flowError(data, cosine, t0);
  assert.ok(eh < 0.02 && eh < 0.25 * flowError(ddim, cosine, t0), `heun error ${eh}`);
  assertGaussian(
    run((xT) => sampleHeun(exact, xT, cosine, { steps: 50 })),
    0.05,
    "heun-50-trailing",
  );
  assertGaussian(
    run((xT) => sampleHeun(exact, xT, cosine, { steps: 50, spacing: "karras" })),
    0.08,
    "heun-karras",
  );
});

Deno.test("sampleDdpm() recovers N(μ, s²), and DDIM with η = 1 is the same sampler", () => {
  const ddpm = run((xT) => sampleDdpm(exact, xT, cosine, { steps: 250, seed: 3 }));
  assertGaussian(ddpm, 0.05, "ddpm-250");
  const ddim1 = run((xT) => sampleDdim(exact, xT, cosine, { steps: 250, eta: 1, seed: 3 }));
  for (let i = 0; i < N; i += 37) assertClose(ddim1[i]!, ddpm[i]!, { atol: 1e-4 }, `element ${i}`);
  const again = run((xT) => sampleDdpm(exact, xT, cosine, { steps: 250, seed: 3 }));
  assert.deepEqual(again, ddpm);
  const other = run((xT) => sampleDdpm(exact, xT, cosine, { steps: 250, seed: 4 }));
  assert.notDeepEqual(other, ddpm);
});

Deno.test("every sampler handles zero terminal SNR with a v-model (first step at α = 0)", () => {
  const denoise = makeDenoiser(exactModel("v", ztsnr), "v", ztsnr);
  const cases: [string, object, number][] = [
    ["ddim", { steps: 50 }, 0.05],
    ["dpmpp-2m", { steps: 25 }, 0.03],
    ["heun", { steps: 25 }, 0.08],
    ["ddpm", { steps: 250, seed: 5 }, 0.05],
  ];
  for (const [name, options, tol] of cases) {
    assertGaussian(
      run((xT) => sample(name, denoise, xT, ztsnr, options)),
      tol,
      `${name} zero-terminal-SNR`,
    );
  }
});

Deno.test("every sampler refuses an ε-model at zero terminal SNR without leaking, unless t = T-1 is skipped", () => {
  const denoise = makeDenoiser(exactModel("eps", ztsnr), "eps", ztsnr);
  const xT = tf.tensor(noise, [N / 4, 2, 2, 1]);
  const before = tf.memory().numTensors;
  for (const name of SAMPLER_NAMES) {
    assert.throws(
      () =>
        sample(name, denoise, xT, ztsnr, { steps: 10, ...(name === "ddpm" ? { seed: 1 } : {}) }),
      DiffusionMathError,
    );
    assert.equal(tf.memory().numTensors, before, `${name} leaked on error`);
  }
  tf.dispose(xT);
  // Leading spacing never visits t = T-1 (its start is 900 for 10 steps), so ε works there.
  assertGaussian(
    run((x) => sampleDdim(denoise, x, ztsnr, { steps: 50, spacing: "leading" })),
    0.1,
    "eps leading",
  );
});

Deno.test("eps, x0 and v models give the same DDIM samples as the exact denoiser", () => {
  const reference = run((xT) => sampleDdim(exact, xT, cosine, { steps: 20 }));
  for (const target of ["eps", "x0", "v"] as const) {
    const denoise = makeDenoiser(exactModel(target, cosine), target, cosine);
    const data = run((xT) => sampleDdim(denoise, xT, cosine, { steps: 20 }));
    for (let i = 0; i < N; i += 41) {
      assertClose(data[i]!, reference[i]!, { atol: 2e-3 }, `${target} element ${i}`);
    }
  }
});

Deno.test("samplers registry: one signature for all, sample() dispatches by name", () => {
  assert.deepEqual(Object.keys(samplers).sort(), [...SAMPLER_NAMES].sort());
  for (const name of SAMPLER_NAMES) {
    assert.equal(samplers[name].name, name);
    assert.equal(
      samplers[name].sample.length,
      6,
      `${name}: (denoiser, xT, schedule, options, cond, callback)`,
    );
  }
  for (
    const [name, direct] of [["ddim", sampleDdim], ["dpmpp-2m", sampleDpmpp2m], [
      "heun",
      sampleHeun,
    ]] as const
  ) {
    const a = run((xT) => sample(name, exact, xT, cosine, { steps: 8 }));
    const b = run((xT) => direct(exact, xT, cosine, { steps: 8 }));
    assert.deepEqual(a, b, name);
  }
});

Deno.test("samplers call the per-step callback once per step with the state and its x̂_0", () => {
  for (const name of SAMPLER_NAMES) {
    const seen: { i: number; t: number; x: number; denoised: number }[] = [];
    const xT = tf.fill([3, 1], 0.7);
    const options = { steps: 5, ...(name === "ddpm" ? { seed: 0 } : {}) };
    const out = sample(name, exact, xT, cosine, options, undefined, (s) => {
      assert.equal(s.steps, 5);
      const c = coefAt(cosine, s.t);
      assert.equal(s.alpha, c.alpha);
      assert.equal(s.sigma, c.sigma);
      seen.push({
        i: s.i,
        t: s.t,
        x: s.x.dataSync()[0]!,
        denoised: s.denoised.dataSync()[0]!,
      });
    });
    assert.deepEqual(seen.map((s) => s.i), [0, 1, 2, 3, 4], name);
    assert.deepEqual(seen.map((s) => s.t), samplingTimesteps(cosine, 5, "trailing"), name);
    assert.equal(seen[0]!.x, xT.dataSync()[0], `${name}: step 0 sees x_T`);
    for (const s of seen) {
      // the reported x̂_0 is the exact denoiser's at the reported state
      const d = exact(tf.fill([1, 1], s.x), s.t);
      assertClose(s.denoised, d.dataSync()[0]!, { atol: 1e-6 }, `${name} step ${s.i}`);
      d.dispose();
    }
    // the last step's x̂_0 is the sample
    assertClose(out.dataSync()[0]!, seen[4]!.denoised, { atol: 1e-7 }, `${name} result`);
    tf.dispose([out, xT]);
  }
});

Deno.test("samplers pass cond to the denoiser at every call", () => {
  const seen: (tf.Tensor | undefined)[] = [];
  const spy: Denoiser = (x, t, cond) => {
    seen.push(cond);
    return exact(x, t);
  };
  const cond = tf.tensor1d([1, 2], "int32");
  for (const name of SAMPLER_NAMES) {
    seen.length = 0;
    const xT = tf.zeros([2, 3]);
    tf.dispose([
      sample(name, spy, xT, cosine, { steps: 4, ...(name === "ddpm" ? { seed: 0 } : {}) }, cond),
      xT,
    ]);
    assert.ok(seen.length >= 4 && seen.every((c) => c === cond), `${name}: ${seen.length} calls`);
  }
  cond.dispose();
});

Deno.test("samplers reject unknown samplers and options, naming the field", () => {
  const xT = tf.zeros([2, 3]);
  const fails = (name: string, options: unknown, pattern: RegExp) =>
    assert.throws(() => sample(name, exact, xT, cosine, options), (e: unknown) => {
      assert.ok(e instanceof DiffusionConfigError, String(e));
      assert.match(e.message, pattern);
      return true;
    });
  fails("euler", { steps: 10 }, /field "sampler".*unknown sampler "euler"/);
  fails("dpmpp-2m", { steps: 10, eta: 0 }, /field "eta"/);
  fails("ddim", { steps: 10, etta: 0.5 }, /field "etta"/);
  fails("ddim", { steps: 10, eta: 0.5 }, /field "seed"/);
  fails("ddim", { steps: 10, eta: 1.5, seed: 1 }, /field "eta"/);
  fails("ddpm", { steps: 10 }, /field "seed"/);
  fails("heun", {}, /field "steps"/);
  fails("heun", { steps: 1001 }, /field "steps"/);
  fails("heun", { steps: 10, spacing: "uniform" }, /field "spacing"/);
  fails("heun", { steps: 10, rho: 7 }, /field "rho"/);
  assert.throws(
    () => sampleHeun(exact, xT, ztsnr, { steps: 10, spacing: "karras" }),
    /zero terminal SNR/,
  );
  const ints = tf.zeros([2], "int32");
  assert.throws(() => sampleDdim(exact, ints, cosine, { steps: 2 }), /float32/);
  tf.dispose([xT, ints]);
});

Deno.test("samplingTimesteps() reproduces diffusers' trailing, leading and linspace tables", () => {
  assert.deepEqual(samplingTimesteps(cosine, 3, "trailing"), [999, 666, 332]);
  assert.deepEqual(samplingTimesteps(cosine, 10, "trailing"), [
    999,
    899,
    799,
    699,
    599,
    499,
    399,
    299,
    199,
    99,
  ]);
  const leading = samplingTimesteps(cosine, 50, "leading");
  assert.equal(leading[0], 980);
  assert.equal(leading.at(-1), 0);
  assert.deepEqual(samplingTimesteps(cosine, 10, "linspace"), [
    999,
    888,
    777,
    666,
    555,
    444,
    333,
    222,
    111,
    0,
  ]);
  assert.deepEqual(samplingTimesteps(cosine, 1, "trailing"), [999]);
});

Deno.test("samplingTimesteps('karras') follows EDM eq. 5 in σ_VE from min(σ_VE(T-1), 80) to σ_VE(0)", () => {
  const sve = (t: number) => {
    const c = coefAt(cosine, t);
    return c.sigma / c.alpha;
  };
  // cosine: σ_VE(999) ≈ 2·10⁴ > 80, so T-1 comes first and the 11 grid levels run from 80
  assert.ok(sve(999) > 1e4);
  const ts = samplingTimesteps(cosine, 12, "karras");
  assert.equal(ts.length, 12);
  assert.equal(ts[0], 999);
  assert.equal(ts.at(-1), 0);
  assertClose(sve(ts[1]!), 80, { rtol: 1e-9 }, "first grid level");
  const hi = 80 ** (1 / 7);
  const lo = sve(0) ** (1 / 7);
  for (const i of [3, 6, 9]) {
    assertClose(sve(ts[i]!), (hi + ((i - 1) / 10) * (lo - hi)) ** 7, { rtol: 1e-9 }, `i=${i}`);
  }
  // a schedule whose top level is below 80 keeps the plain grid between its two ends
  const short = scheduleCosine({ T: 100, maxBeta: 0.5 });
  const top = coefAt(short, 99);
  const sTop = top.sigma / top.alpha;
  assert.ok(sTop < 80, `σ_VE(T-1) = ${sTop}`);
  const ts2 = samplingTimesteps(short, 6, "karras");
  const sveShort = (t: number) => {
    const c = coefAt(short, t);
    return c.sigma / c.alpha;
  };
  const hi2 = sTop ** (1 / 7);
  const lo2 = sveShort(0) ** (1 / 7);
  for (const i of [1, 2, 4]) {
    assertClose(sveShort(ts2[i]!), (hi2 + (i / 5) * (lo2 - hi2)) ** 7, { rtol: 1e-9 }, `i=${i}`);
  }
});
