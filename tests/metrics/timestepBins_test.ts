import assert from "node:assert/strict";
import {
  binLossesByTimestep,
  evalTriples,
  timestepBin,
  TimestepBinAccumulator,
  type TimestepDraw,
} from "../../src/metrics/mod.ts";

Deno.test("binLossesByTimestep() averages a hand example per equal-width bin", () => {
  // T = 10, 2 bins: [0, 5) holds t = 0, 4, 3 → (1 + 2 + 3)/3 = 2; [5, 10) holds t = 5, 9 → 4.
  const r = binLossesByTimestep([1, 2, 3, 5, 3], [0, 4, 5, 9, 3], 10, 2);
  assert.deepEqual(Array.from(r.binEdges), [0, 5, 10]);
  assert.deepEqual(Array.from(r.meanLoss), [2, 4]);
  assert.deepEqual(Array.from(r.count), [3, 2]);
});

Deno.test("binLossesByTimestep() marks empty bins NaN and handles uneven widths", () => {
  const r = binLossesByTimestep(new Float32Array([1, 3]), new Int32Array([0, 999]), 1000, 3);
  assert.deepEqual(Array.from(r.binEdges), [0, 1000 / 3, 2000 / 3, 1000]);
  assert.deepEqual(Array.from(r.count), [1, 0, 1]);
  assert.equal(r.meanLoss[0], 1);
  assert.ok(Number.isNaN(r.meanLoss[1]!));
  assert.equal(r.meanLoss[2], 3);
  assert.equal(timestepBin(333, 1000, 3), 0);
  assert.equal(timestepBin(334, 1000, 3), 1);
  assert.equal(timestepBin(666.5, 1000, 3), 1);
  assert.equal(timestepBin(667, 1000, 3), 2);
});

Deno.test("TimestepBinAccumulator gives the same result batch by batch", () => {
  const losses = [0.5, 1, 1.5, 2, 2.5, 3];
  const ts = [10, 20, 700, 400, 999, 0];
  const acc = new TimestepBinAccumulator(1000, 4);
  acc.add(losses.slice(0, 2), ts.slice(0, 2));
  acc.add(losses.slice(2), ts.slice(2));
  assert.deepEqual(acc.result(), binLossesByTimestep(losses, ts, 1000, 4));
});

Deno.test("binLossesByTimestep() rejects bad timesteps, lengths, losses and bin counts", () => {
  assert.throws(() => binLossesByTimestep([1], [10], 10, 2), /timestep 10 outside \[0, 10\)/);
  assert.throws(() => binLossesByTimestep([1], [-1], 10, 2), /timestep -1 outside/);
  assert.throws(() => binLossesByTimestep([1, 2], [1], 10, 2), /2 losses but 1 timesteps/);
  assert.throws(() => binLossesByTimestep([NaN], [1], 10, 2), /losses holds NaN at index 0/);
  assert.throws(() => binLossesByTimestep([1], [1], 10, 11), /11 bins exceed T = 10/);
  assert.throws(() => binLossesByTimestep([1], [1], 10, 0), /number of bins must be/);
});

Deno.test("evalTriples() is deterministic and depends on the seed", () => {
  const a = evalTriples(256, 1000, 7, { numImages: 10000 });
  const b = evalTriples(256, 1000, 7, { numImages: 10000 });
  assert.deepEqual(a, b);
  const c = evalTriples(256, 1000, 8, { numImages: 10000 });
  assert.notDeepEqual(Array.from(a.t), Array.from(c.t));
  assert.notDeepEqual(Array.from(a.index), Array.from(c.index));
  assert.notDeepEqual(Array.from(a.noiseSeed), Array.from(c.noiseSeed));
  // Seeds beyond 32 bits are distinct streams too.
  const far = evalTriples(16, 1000, 7 + 2 ** 32);
  assert.notDeepEqual(Array.from(far.noiseSeed), Array.from(evalTriples(16, 1000, 7).noiseSeed));
});

Deno.test("evalTriples() stratifies t so equal-width bins get equal counts", () => {
  const n = 400;
  const triples = evalTriples(n, 1000, 3);
  for (const t of triples.t) assert.ok(Number.isInteger(t) && t >= 0 && t < 1000);
  const bins = binLossesByTimestep(new Float64Array(n), triples.t, 1000, 10);
  assert.deepEqual(Array.from(bins.count), new Array(10).fill(40));
  // The order is shuffled: not sorted by t.
  assert.ok(triples.t.some((t, i) => i > 0 && t < triples.t[i - 1]!));
  const uniform = evalTriples(n, 1000, 3, { timesteps: "uniform" });
  for (const t of uniform.t) assert.ok(Number.isInteger(t) && t >= 0 && t < 1000);
  assert.notDeepEqual(Array.from(uniform.t), Array.from(triples.t));
});

Deno.test("evalTriples() uses distinct images while it can, then cycles them evenly", () => {
  const distinct = evalTriples(100, 1000, 1, { numImages: 5000 });
  assert.equal(new Set(distinct.index).size, 100);
  for (const i of distinct.index) assert.ok(i >= 0 && i < 5000);
  const cycled = evalTriples(25, 1000, 1, { numImages: 10 });
  const uses = new Array(10).fill(0);
  for (const i of cycled.index) uses[i]++;
  for (const u of uses) assert.ok(u === 2 || u === 3);
  assert.equal(new Set(evalTriples(50, 1000, 1).index).size, 50); // numImages defaults to n
});

Deno.test("evalTriples() noise seeds extend a shorter set's and rejects bad options", () => {
  const short = evalTriples(10, 1000, 5);
  const long = evalTriples(30, 1000, 5);
  assert.deepEqual(Array.from(long.noiseSeed.subarray(0, 10)), Array.from(short.noiseSeed));
  assert.equal(new Set(long.noiseSeed).size, 30);
  assert.throws(() => evalTriples(10, 1000, -1), /seed must be a non-negative safe integer/);
  assert.throws(() => evalTriples(0, 1000, 1), /number of triples must be/);
  assert.throws(
    () => evalTriples(10, 1000, 1, { timesteps: "sobol" as TimestepDraw }),
    /unknown timestep draw "sobol"/,
  );
});
