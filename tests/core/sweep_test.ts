import assert from "node:assert/strict";
import { armId, deepMerge, expandSweep, parseOverride, setPath } from "../../src/core/sweep.ts";

Deno.test("expandSweep() multiplies grid axes in order and names arms by their values", () => {
  const arms = expandSweep({ grid: { target: ["eps", "x0"], gamma: [1, 5] } });
  assert.deepEqual(arms.map((a) => a.id), [
    "target=eps,gamma=1",
    "target=eps,gamma=5",
    "target=x0,gamma=1",
    "target=x0,gamma=5",
  ]);
});

Deno.test("expandSweep() de-duplicates repeated grid values", () => {
  assert.equal(expandSweep({ grid: { a: [1, 1, 2] } }).length, 2);
});

Deno.test("expandSweep() draws the same random arms for the same seed and others for another", () => {
  const spec = (seed: number) => ({
    random: {
      samples: 4,
      seed,
      space: {
        lr: { logUniform: [1e-5, 1e-3] as [number, number] },
        k: { int: [1, 3] as [number, number] },
      },
    },
  });
  const a = expandSweep(spec(1));
  assert.deepEqual(a, expandSweep(spec(1)));
  assert.notDeepEqual(a, expandSweep(spec(2)));
  for (const arm of a) {
    const lr = arm.values.lr as number;
    assert.ok(lr >= 1e-5 && lr <= 1e-3, `lr ${lr} out of range`);
    assert.ok([1, 2, 3].includes(arm.values.k as number));
  }
});

Deno.test("expandSweep() crosses grid and random blocks", () => {
  const arms = expandSweep({
    grid: { t: ["a", "b"] },
    random: { samples: 3, seed: 0, space: { x: { uniform: [0, 1] } } },
  });
  assert.equal(arms.length, 6);
});

Deno.test("expandSweep() without a sweep gives one default arm", () => {
  assert.deepEqual(expandSweep(undefined), [{ id: "default", values: {} }]);
});

Deno.test("parseOverride() reads scalars as JSON, bare words as strings, lists as axes", () => {
  assert.deepEqual(parseOverride("gamma=5"), { kind: "set", path: "gamma", value: 5 });
  assert.deepEqual(parseOverride("name=min-snr"), { kind: "set", path: "name", value: "min-snr" });
  assert.deepEqual(parseOverride("flag=true"), { kind: "set", path: "flag", value: true });
  assert.deepEqual(parseOverride("weighting=[const,min-snr]"), {
    kind: "axis",
    path: "weighting",
    values: ["const", "min-snr"],
  });
  assert.deepEqual(parseOverride("g=[1, 5,10]"), { kind: "axis", path: "g", values: [1, 5, 10] });
  assert.deepEqual(parseOverride("model.width=64"), {
    kind: "set",
    path: "model.width",
    value: 64,
  });
});

Deno.test("parseOverride() explains malformed arguments", () => {
  assert.match(parseOverride("gamma") as string, /expected name=value/);
  assert.match(parseOverride("=3") as string, /expected name=value/);
  assert.match(parseOverride("a b=3") as string, /not a param name/);
  assert.match(parseOverride("a=[]") as string, /empty list/);
});

Deno.test("setPath() and deepMerge() build nested params without mutating inputs", () => {
  const base = { model: { width: 32, depth: 2 }, lr: 1 };
  const set = setPath(base, "model.width", 64);
  assert.deepEqual(set, { model: { width: 64, depth: 2 }, lr: 1 });
  assert.equal(base.model.width, 32);
  assert.deepEqual(deepMerge(base, { model: { depth: 3 } }), {
    model: { width: 32, depth: 3 },
    lr: 1,
  });
});

Deno.test("armId() formats floats compactly", () => {
  assert.equal(armId({ lr: 0.000123456789 }), "lr=0.000123457");
});

Deno.test("expandSweep() appends included arms after the product and de-duplicates them", () => {
  const arms = expandSweep({
    grid: { t: ["a", "b"], w: [1, 2] },
    include: [{ t: "a", w: 3 }, { t: "a", w: 1 }],
  });
  assert.deepEqual(arms.map((a) => a.id), ["t=a,w=1", "t=a,w=2", "t=b,w=1", "t=b,w=2", "t=a,w=3"]);
});

Deno.test("expandSweep() names object values by their values and keeps ids unique", () => {
  const arms = expandSweep({
    grid: { weighting: [{ strategy: "min-snr", gamma: 5 }, { strategy: "unweighted" }] },
  });
  assert.deepEqual(arms.map((a) => a.id), ["weighting=min-snr-5", "weighting=unweighted"]);
  const clash = expandSweep({ grid: { w: [{ a: 1, b: 2 }, "1-2"] } });
  assert.equal(new Set(clash.map((a) => a.id)).size, 2);
});
