import assert from "node:assert/strict";
import {
  dataExtent,
  formatTick,
  linearTicks,
  logTicks,
  makeScale,
  niceStep,
} from "../../src/plot/scale.ts";

Deno.test("niceStep() picks the nearest 1, 2 or 5 × 10^k", () => {
  assert.deepEqual([1, 1.9, 3, 4, 7.5, 0.013, 4500].map((s) => niceStep(s, 1)), [
    1,
    2,
    2,
    5,
    10,
    0.01,
    5000,
  ]);
  assert.equal(niceStep(3240, 6), 500);
});

Deno.test("linearTicks() gives 1-2-5 steps covering the domain, without float noise", () => {
  assert.deepEqual(linearTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(linearTicks(0, 1000, 5), [0, 200, 400, 600, 800, 1000]);
  assert.deepEqual(linearTicks(-0.3, 0.3), [-0.3, -0.2, -0.1, 0, 0.1, 0.2, 0.3]);
  assert.deepEqual(linearTicks(0.1, 0.35), [0.1, 0.15, 0.2, 0.25, 0.3, 0.35]);
  assert.deepEqual(linearTicks(5, 5), [5]);
  assert.deepEqual(linearTicks(NaN, 1), []);
});

Deno.test("logTicks() gives decades with 2..9 minor ticks", () => {
  const { major, minor } = logTicks(1e-3, 1e3);
  assert.deepEqual(major, [1e-3, 0.01, 0.1, 1, 10, 100, 1000]);
  assert.equal(minor.length, 6 * 8);
  assert.ok(minor.includes(0.002) && minor.includes(900));
});

Deno.test("logTicks() thins decades over a wide span and labels 1-2-5 over a short one", () => {
  assert.deepEqual(logTicks(1e-10, 1e10).major, [1e-9, 1e-6, 1e-3, 1, 1e3, 1e6, 1e9]);
  assert.deepEqual(logTicks(0.055, 2.3).major, [0.1, 0.2, 0.5, 1, 2]);
  assert.deepEqual(logTicks(3, 4.5).major, [3, 3.5, 4, 4.5]);
});

Deno.test("makeScale() log over [0.003, 870] spans the decades 1e-3 … 1e3", () => {
  const s = makeScale({ kind: "log", values: [0.003, 870, 5], range: [0, 600] });
  assert.deepEqual(s.domain, [1e-3, 1e3]);
  assert.deepEqual(s.ticks, [1e-3, 0.01, 0.1, 1, 10, 100, 1000]);
  assert.equal(s.map(1), 300);
  assert.deepEqual(s.ticks.map(s.format), ["1e-3", "0.01", "0.1", "1", "10", "100", "1k"]);
});

Deno.test("makeScale() maps the domain ends onto the range ends", () => {
  for (const kind of ["linear", "log"] as const) {
    const s = makeScale({ kind, values: [2, 7, 40], range: [400, 50] });
    assert.equal(s.map(s.domain[0]), 400, kind);
    assert.ok(Math.abs(s.map(s.domain[1]) - 50) < 1e-9, kind);
    assert.ok(s.domain[0] < 2 && s.domain[1] > 40, `${kind}: data lies inside the padded domain`);
  }
  const fixed = makeScale({ values: [], range: [10, 110], domain: [0, 1] });
  assert.deepEqual([fixed.map(0), fixed.map(0.5), fixed.map(1)], [10, 60, 110]);
});

Deno.test("makeScale() pads a linear domain and can include zero and nice ends", () => {
  const padded = makeScale({ values: [0, 1], range: [0, 1] });
  assert.deepEqual(padded.domain, [-0.04, 1.04]);
  assert.deepEqual(padded.ticks, [0, 0.2, 0.4, 0.6, 0.8, 1]);
  const bars = makeScale({ values: [3.2, 8.7], range: [0, 1], includeZero: true, nice: true });
  assert.deepEqual(bars.domain, [0, 10]);
});

Deno.test("makeScale() skips non-finite values and copes with empty or single-valued data", () => {
  const s = makeScale({ values: [NaN, 1, Infinity, 3, -Infinity], range: [0, 1] });
  assert.ok(s.domain[0] < 1 && s.domain[0] > 0.5 && s.domain[1] > 3 && s.domain[1] < 3.5);
  assert.deepEqual(makeScale({ values: [], range: [0, 1] }).domain, [0, 1]);
  assert.deepEqual(makeScale({ kind: "log", values: [NaN, -1, 0], range: [0, 1] }).domain, [1, 10]);
  const one = makeScale({ values: [5, 5], range: [0, 1] });
  assert.deepEqual(one.domain, [4.5, 5.5]);
  const oneLog = makeScale({ kind: "log", values: [5], range: [0, 1] });
  assert.ok(oneLog.domain[0] < 5 && oneLog.domain[1] > 5 && oneLog.ticks.length >= 2);
  for (const v of [...one.domain, ...oneLog.domain, one.map(5), oneLog.map(5)]) {
    assert.ok(Number.isFinite(v));
  }
});

Deno.test("makeScale() rejects an unusable fixed domain", () => {
  assert.throws(
    () => makeScale({ kind: "log", values: [], range: [0, 1], domain: [0, 10] }),
    /domain \[0, 10\] on a log scale/,
  );
  assert.throws(() => makeScale({ values: [], range: [0, 1], domain: [1, 1] }), RangeError);
});

Deno.test("formatTick() is compact", () => {
  assert.deepEqual(
    [0, 0.01, 0.25, 120, 2500, 1e6, 1.5e9, 0.0025, 1e-5, -3000, 1e15].map((v) => formatTick(v)),
    ["0", "0.01", "0.25", "120", "2.5k", "1M", "1.5G", "2.5e-3", "1e-5", "-3k", "1e15"],
  );
  assert.equal(formatTick(0.1 + 0.2, 0.1), "0.3");
  assert.equal(formatTick(100.01, 0.01), "100.01");
  assert.equal(formatTick(1e-17, 0.1), "0");
  assert.equal(formatTick(NaN), "");
});

Deno.test("dataExtent() ignores what the scale cannot show", () => {
  assert.deepEqual(dataExtent([3, NaN, -2, 0, 8], "linear"), [-2, 8]);
  assert.deepEqual(dataExtent([3, NaN, -2, 0, 8], "log"), [3, 8]);
  assert.equal(dataExtent([NaN], "linear"), undefined);
});

Deno.test("makeScale() writes thousands in full until the labels reach 5 digits", () => {
  const short = makeScale({ values: [0, 3000], range: [0, 1] });
  assert.deepEqual(short.ticks.map(short.format), [
    "0",
    "500",
    "1000",
    "1500",
    "2000",
    "2500",
    "3000",
  ]);
  const long = makeScale({ values: [0, 30000], range: [0, 1] });
  assert.deepEqual(long.ticks.map(long.format), ["0", "5k", "10k", "15k", "20k", "25k", "30k"]);
});

Deno.test("makeScale() puts no ticks between integers for integer data", () => {
  const epochs = makeScale({ values: [1, 4], range: [0, 1], integer: true });
  assert.deepEqual(epochs.ticks, [1, 2, 3, 4]);
  assert.deepEqual(makeScale({ values: [1, 4], range: [0, 1] }).ticks, [1, 1.5, 2, 2.5, 3, 3.5, 4]);
});
