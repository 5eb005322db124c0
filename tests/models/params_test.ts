import assert from "node:assert/strict";
import { tf } from "./helpers.ts";
import { initValues, ParamStore } from "../../src/models/params.ts";

Deno.test("ParamStore.create() is deterministic per (seed, name), independent of creation order", () => {
  const a = new ParamStore(42), b = new ParamStore(42), c = new ParamStore(43);
  a.create("x", [3, 4], { kind: "normal", std: 1 });
  a.create("y", [5], { kind: "uniform", bound: 0.5 });
  b.create("y", [5], { kind: "uniform", bound: 0.5 });
  b.create("x", [3, 4], { kind: "normal", std: 1 });
  c.create("x", [3, 4], { kind: "normal", std: 1 });
  assert.deepEqual(a.get("x").dataSync(), b.get("x").dataSync());
  assert.deepEqual(a.get("y").dataSync(), b.get("y").dataSync());
  assert.notDeepEqual(a.get("x").dataSync(), c.get("x").dataSync());
  assert.ok(Array.from(a.get("y").dataSync()).every((v) => Math.abs(v) <= 0.5));
  assert.deepEqual(a.names(), ["x", "y"]);
  assert.throws(() => a.create("x", [1], { kind: "zeros" }), /already exists/);
  assert.throws(() => a.get("z"), /unknown parameter "z"/);
  [a, b, c].forEach((s) => s.dispose());
});

Deno.test("initValues() normal draws have about the right moments", () => {
  const v = initValues(1, "w", [100, 100], { kind: "normal", std: 0.5 });
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  const sd = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
  assert.ok(Math.abs(mean) < 0.02 && Math.abs(sd - 0.5) < 0.02, `mean ${mean}, sd ${sd}`);
});

Deno.test("ParamStore.count() sums sizes, optionally of matching names", () => {
  const p = new ParamStore();
  p.create("a.w", [3, 4], { kind: "zeros" });
  p.create("a.b", [4], { kind: "zeros" });
  p.create("adapter.w", [2, 2], { kind: "ones" });
  assert.equal(p.count(), 20);
  assert.equal(p.count(/^adapter\./), 4);
  assert.equal(p.count(["a.b"]), 4);
  assert.equal(p.summary(), "a: 16\nadapter: 4\ntotal: 20");
  p.dispose();
});

Deno.test("ParamStore.freeze() leaves gradients only for unfrozen parameters", () => {
  const p = new ParamStore(1);
  p.create("base.w", [3], { kind: "normal", std: 1 });
  p.create("adapter.w", [3], { kind: "normal", std: 1 });
  p.freeze((n) => n.startsWith("base."));
  assert.deepEqual(p.trainableNames(), ["adapter.w"]);
  assert.ok(p.isFrozen("base.w"));
  const { value, grads } = p.valueAndGrads(() =>
    tf.sum(tf.mul(p.get("base.w"), p.get("adapter.w")))
  );
  assert.deepEqual(Object.keys(grads), ["adapter.w"]);
  // d/d adapter of Σ base·adapter = base
  assert.deepEqual(grads["adapter.w"]!.dataSync(), p.get("base.w").dataSync());
  p.unfreeze(["base.w"]);
  assert.deepEqual(p.trainableNames(), ["base.w", "adapter.w"]);
  assert.throws(() => p.freeze(["nope"]), /unknown parameter/);
  tf.dispose([value, ...Object.values(grads)]);
  p.dispose();
});

Deno.test("ParamStore.export()/import() round-trip values and reject mismatches", async () => {
  const a = new ParamStore(1), b = new ParamStore(2);
  for (const s of [a, b]) {
    s.create("w", [2, 3], { kind: "normal", std: 1 });
    s.create("b", [3], { kind: "uniform", bound: 1 });
  }
  const rec = await a.export();
  assert.deepEqual(rec["w"]!.shape, [2, 3]);
  b.import(rec);
  assert.deepEqual(b.get("w").dataSync(), a.get("w").dataSync());
  // the export is a copy: later updates of a do not change it
  a.get("w").assign(tf.zeros([2, 3]));
  assert.notEqual(rec["w"]!.data[0], 0);
  assert.throws(() => b.import({ w: rec["w"]! }), /"b" is missing/);
  b.import({ w: rec["w"]! }, { allowMissing: true });
  assert.throws(() => b.import({ ...rec, extra: rec["b"]! }), /"extra" is not a parameter/);
  assert.throws(
    () => b.import({ ...rec, w: { shape: [3, 2], data: rec["w"]!.data } }),
    /shape \[3,2\]/,
  );
  a.dispose();
  b.dispose();
});

Deno.test("ParamStore.clone() copies values and frozen flags into independent variables", () => {
  const a = new ParamStore(3);
  a.create("w", [4], { kind: "normal", std: 1 });
  a.create("f", [2], { kind: "ones" });
  a.freeze(["f"]);
  const b = a.clone();
  assert.deepEqual(b.get("w").dataSync(), a.get("w").dataSync());
  assert.deepEqual(b.trainableNames(), ["w"]);
  b.get("w").assign(tf.zeros([4]));
  assert.notDeepEqual(a.get("w").dataSync(), b.get("w").dataSync());
  const before = tf.memory().numTensors;
  b.dispose();
  assert.equal(tf.memory().numTensors, before - 2);
  a.dispose();
});
