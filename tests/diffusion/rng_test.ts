import assert from "node:assert/strict";
import { deriveSeed, makeRng, rngFromState } from "../../src/diffusion/rng.ts";
import { meanStd } from "./_helpers.ts";

Deno.test("makeRng() implements xoshiro128** seeded by splitmix32 (reference outputs)", () => {
  // From an independent Python implementation of both algorithms.
  const a = makeRng(0);
  assert.deepEqual([a.nextUint32(), a.nextUint32(), a.nextUint32(), a.nextUint32()], [
    1789933344,
    44971166,
    2521387044,
    3848737593,
  ]);
  const b = makeRng(42);
  assert.deepEqual([b.nextUint32(), b.nextUint32()], [660444221, 3652823732]);
});

Deno.test("makeRng() gives the same numbers for the same seed and different ones otherwise", () => {
  const draw = (seed: number) => {
    const r = makeRng(seed);
    return [...r.uniform(5), ...r.normal(5), ...r.integers(5, 0, 1000)];
  };
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
  assert.notDeepEqual(draw(2 ** 40), draw(2 ** 40 + 2 ** 32), "high seed bits matter");
});

Deno.test("normal() has mean 0 and std 1; uniform() and integers() stay in range", () => {
  const r = makeRng(3);
  const n = r.normal(20001);
  assert.equal(n.length, 20001);
  const { mean, std } = meanStd(n);
  assert.ok(Math.abs(mean) < 0.03 && Math.abs(std - 1) < 0.03, `mean ${mean}, std ${std}`);
  const u = r.uniform(10000, -2, 3);
  assert.ok(u.every((x) => x >= -2 && x < 3));
  assert.ok(Math.abs(meanStd(u).mean - 0.5) < 0.05);
  const k = r.integers(10000, 20, 981);
  assert.ok(k.every((x) => x >= 20 && x <= 980));
  assert.ok(k.includes(20) && k.includes(980));
  assert.throws(() => r.integers(1, 5, 5), RangeError);
  assert.throws(() => makeRng(-1), RangeError);
  assert.throws(() => makeRng(1.5), RangeError);
});

Deno.test("rngFromState() resumes the exact stream", () => {
  const r = makeRng(11);
  r.normal(3);
  const copy = rngFromState(r.state());
  assert.deepEqual(copy.normal(10), r.normal(10));
});

Deno.test("fork() and deriveSeed() give streams independent of how much the parent drew", () => {
  const a = makeRng(5);
  const b = makeRng(5);
  b.normal(100);
  assert.deepEqual(
    a.fork("timesteps").integers(8, 0, 1000),
    b.fork("timesteps").integers(8, 0, 1000),
  );
  assert.notDeepEqual(a.fork("timesteps").uniform(4), a.fork("noise").uniform(4));
  assert.equal(deriveSeed(5, "t"), deriveSeed(5, "t"));
  assert.notEqual(deriveSeed(5, "t"), deriveSeed(5, "eps"));
  assert.notEqual(deriveSeed(5, "t"), deriveSeed(6, "t"));
});
