import assert from "node:assert/strict";
import {
  cacheKey,
  deriveStageSeed,
  diffComponents,
  KEY_VERSION,
  makeKeyComponents,
} from "../../src/core/cacheKey.ts";
import { canonicalJson } from "../../src/core/canonicalJson.ts";

const base = {
  name: "train",
  version: "1",
  code: "abc",
  params: { lr: 1e-4, gamma: 5 },
  inputs: { data: "k1" },
  seed: 3,
  engine: null,
};

Deno.test("canonicalJson() sorts keys at every depth and normalises -0", () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: -0, c: [2, { z: 1, y: 2 }] } }),
    '{"a":{"c":[2,{"y":2,"z":1}],"d":0},"b":1}',
  );
});

Deno.test("canonicalJson() rejects values JSON cannot carry", () => {
  assert.throws(() => canonicalJson({ x: NaN }), /non-finite number NaN.*|cannot canonicalise x/);
  assert.throws(() => canonicalJson({ x: Infinity }), /cannot canonicalise x/);
  assert.throws(() => canonicalJson({ x: new Float32Array(2) }), /typed arrays/);
});

Deno.test("cacheKey() ignores the order of params", () => {
  const a = cacheKey(makeKeyComponents(base));
  const b = cacheKey(makeKeyComponents({ ...base, params: { gamma: 5, lr: 1e-4 } }));
  assert.equal(a, b);
  assert.match(a, /^[0-9a-f]{64}$/);
});

Deno.test("cacheKey() changes with every ingredient", () => {
  const k = cacheKey(makeKeyComponents(base));
  const variants = [
    { ...base, name: "train2" },
    { ...base, version: "2" },
    { ...base, code: "abd" },
    { ...base, params: { lr: 1e-4, gamma: 5.5 } },
    { ...base, inputs: { data: "k2" } },
    { ...base, seed: 4 },
    { ...base, seed: null },
    { ...base, engine: { backend: "ort" } },
  ];
  for (const v of variants) assert.notEqual(cacheKey(makeKeyComponents(v)), k, JSON.stringify(v));
});

Deno.test("makeKeyComponents() stamps the key version", () => {
  assert.equal(makeKeyComponents(base).keyVersion, KEY_VERSION);
});

Deno.test("deriveStageSeed() depends on identity, not on arm order, and fits 31 bits", () => {
  const s1 = deriveStageSeed(0, { name: "train", params: { g: 1 }, inputs: {} });
  assert.equal(s1, deriveStageSeed(0, { name: "train", params: { g: 1 }, inputs: {} }));
  assert.notEqual(s1, deriveStageSeed(1, { name: "train", params: { g: 1 }, inputs: {} }));
  assert.notEqual(s1, deriveStageSeed(0, { name: "train", params: { g: 2 }, inputs: {} }));
  assert.ok(s1 >= 0 && s1 < 2 ** 31);
});

Deno.test("diffComponents() names exactly the changed ingredients", () => {
  const a = makeKeyComponents(base);
  const b = makeKeyComponents({ ...base, code: "zzz", params: { lr: 2e-4, gamma: 5 } });
  assert.deepEqual(diffComponents(a, b), ["code", "params"]);
  assert.deepEqual(diffComponents(a, a), []);
});
