import assert from "node:assert/strict";
import { randn, tf } from "./helpers.ts";
import {
  type Adapter,
  checkAdapterPair,
  INPUT_POSITIONS,
  OUTPUT_POSITIONS,
  type Position,
} from "../../src/models/hooks.ts";
import { createUNet, type UNetConfig, unetSites } from "../../src/models/unet.ts";
import { ParamStore } from "../../src/models/params.ts";
import { dense, silu } from "../../src/models/layers.ts";

/** Conditional tiny UNet (12 px: 12 → 6 → 3) with transformer blocks at level 1 and in the middle. */
const cfg: Partial<UNetConfig> = {
  widths: [8, 16, 16],
  resBlocksPerLevel: 1,
  attentionLevels: [],
  transformerLevels: [1],
  middle: "transformer",
  groups: 4,
  headDim: 8,
  timeEmbDim: 16,
  numClasses: 4,
  contextTokens: 2,
  contextDim: 8,
  ffnMult: 2,
  zeroInit: false, // every branch live, so any change at any position shows in the output
};
const model = createUNet(cfg, 11);
const x = randn([2, 12, 12, 1], 1) as tf.Tensor4D;
const t = tf.tensor1d([20, 600]);
const y = tf.tensor1d([1, 4], "int32");
const base = model.forward(x, t, y);
const baseUncond = model.forward(x, t);

const maxDiff = (a: tf.Tensor, b: tf.Tensor) =>
  tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

Deno.test("positions: 10 inputs, 7 outputs, forward order", () => {
  assert.equal(INPUT_POSITIONS.length, 10);
  assert.deepEqual([...OUTPUT_POSITIONS], [
    "Res_in",
    "Res_out",
    "SA_in",
    "CA_in",
    "CA_c",
    "FFN_in",
    "Trans_out",
  ]);
});

Deno.test("checkAdapterPair() accepts output at/after input, CA_c only with itself", () => {
  assert.equal(checkAdapterPair("CA_out", "FFN_in"), null);
  assert.equal(checkAdapterPair("SA_in", "SA_in"), null);
  assert.equal(checkAdapterPair("Trans_out", "Trans_out"), null);
  assert.equal(checkAdapterPair("Res_in", "Trans_out"), null);
  assert.equal(checkAdapterPair("CA_c", "CA_c"), null);
  assert.match(checkAdapterPair("FFN_in", "CA_in")!, /comes before/);
  assert.match(checkAdapterPair("CA_c", "FFN_in")!, /CA_c pairs only with itself/);
  assert.match(checkAdapterPair("SA_in", "CA_c")!, /CA_c pairs only with itself/);
  assert.match(checkAdapterPair("SA_in", "SA_out")!, /same as adding at CA_in/);
  // every input position has at least one valid output
  for (const i of INPUT_POSITIONS) {
    assert.ok(OUTPUT_POSITIONS.some((o) => checkAdapterPair(i, o) === null), i);
  }
  const valid = INPUT_POSITIONS.flatMap((i) =>
    OUTPUT_POSITIONS.filter((o) => checkAdapterPair(i, o) === null)
  );
  assert.equal(valid.length, 28);
});

Deno.test("forward with an invalid adapter throws before computing", () => {
  const bad = { input: "FFN_in", output: "SA_in", fn: (a: tf.Tensor) => a } as Adapter;
  assert.throws(
    () => model.forward(x, t, y, { hooks: { adapters: [bad] } }),
    /invalid adapter FFN_in → SA_in/,
  );
});

Deno.test("adding zero at any output position leaves the output unchanged", () => {
  for (const pos of OUTPUT_POSITIONS) {
    const zero: Adapter = { input: pos, output: pos, fn: (a) => tf.zerosLike(a) };
    const out = tf.tidy(() => model.forward(x, t, y, { hooks: { adapters: [zero] } }));
    assert.equal(maxDiff(out, base), 0, pos);
    out.dispose();
  }
});

Deno.test("a non-zero adapter at each output position changes the output, scaled as asked", () => {
  for (const pos of OUTPUT_POSITIONS) {
    const one = (s: number): Adapter => ({
      input: pos,
      output: pos,
      fn: (a) => tf.mul(tf.onesLike(a), 0.1),
      scale: s,
    });
    const [o1, o2] = tf.tidy(() => [
      model.forward(x, t, y, { hooks: { adapters: [one(2)] } }),
      model.forward(x, t, y, {
        hooks: { adapters: [{ ...one(1), fn: (a) => tf.mul(tf.onesLike(a), 0.2) }] },
      }),
    ]);
    assert.ok(maxDiff(o1!, base) > 1e-4, pos);
    assert.ok(maxDiff(o1!, o2!) < 1e-5, pos);
    tf.dispose([o1!, o2!]);
  }
});

Deno.test("onActivation reads every position with the expected shape", () => {
  const seen = new Map<string, number[]>();
  tf.tidy(() => {
    model.forward(x, t, y, {
      hooks: { onActivation: (site, pos, a) => void seen.set(`${site.name}:${pos}`, a.shape) },
    });
  });
  // mid.0: 3×3 feature maps, 16 channels, transformer with 2 context tokens of width 8
  const expected: Record<Position, number[]> = {
    Res_in: [2, 3, 3, 16],
    Res_out: [2, 3, 3, 16],
    SA_in: [2, 9, 16],
    SA_out: [2, 9, 16],
    CA_in: [2, 9, 16],
    CA_c: [2, 2, 8],
    CA_out: [2, 9, 16],
    FFN_in: [2, 9, 16],
    FFN_out: [2, 9, 16],
    Trans_out: [2, 9, 16],
  };
  for (const pos of INPUT_POSITIONS) assert.deepEqual(seen.get(`mid.0:${pos}`), expected[pos], pos);
  assert.deepEqual(seen.get("up.1.0:Res_in"), [2, 6, 6, 32]); // 16 + 16 skip channels
  assert.deepEqual(seen.get("down.1.0:SA_in"), [2, 36, 16]);
  assert.equal(seen.has("down.0.0:SA_in"), false); // level 0 has no transformer
  const sites = unetSites(model.config).map((s) => s.name);
  for (const s of sites) assert.ok(seen.has(`${s}:Res_in`) && seen.has(`${s}:Res_out`), s);
  // without labels there is no cross-attention: no CA_c / CA_out
  const uncond = new Set<string>();
  tf.tidy(() => {
    model.forward(x, t, undefined, { hooks: { onActivation: (_s, pos) => void uncond.add(pos) } });
  });
  assert.equal(uncond.has("CA_c") || uncond.has("CA_out"), false);
  assert.ok(uncond.has("FFN_in"));
});

Deno.test("an adapter at CA_c changes the output only when classes are given", () => {
  const a: Adapter = { input: "CA_c", output: "CA_c", fn: (c) => tf.mul(c, 0.5) };
  const [cond, uncond] = tf.tidy(() => [
    model.forward(x, t, y, { hooks: { adapters: [a] } }),
    model.forward(x, t, undefined, { hooks: { adapters: [a] } }),
  ]);
  assert.ok(maxDiff(cond!, base) > 1e-4);
  assert.equal(maxDiff(uncond!, baseUncond), 0);
  tf.dispose([cond!, uncond!]);
});

Deno.test("a trainable adapter over a frozen UNet gets gradients; the UNet does not", () => {
  // CA_out → FFN_in transformer adapter, Linear(d → r) → SiLU → Linear(r → d), per site
  const ap = new ParamStore(3);
  const tsites = unetSites(model.config).filter((s) => s.transformer !== null);
  for (const s of tsites) {
    ap.create(`${s.name}.down.w`, [s.resOut, 2], { kind: "normal", std: 0.1 });
    ap.create(`${s.name}.up.w`, [2, s.resOut], { kind: "normal", std: 0.1 });
  }
  const adapter: Adapter = {
    input: "CA_out",
    output: "FFN_in",
    fn: (a, site) => dense(ap, `${site.name}.up`, silu(dense(ap, `${site.name}.down`, a))),
  };
  model.params.freeze(() => true);
  assert.equal(model.params.trainableNames().length, 0);
  const { value, grads } = ap.valueAndGrads(() =>
    tf.mean(tf.square(model.forward(x, t, y, { hooks: { adapters: [adapter] } }))) as tf.Scalar
  );
  assert.deepEqual(Object.keys(grads).sort(), ap.names().sort());
  assert.ok(Object.values(grads).every((g) => tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]!) > 0));
  assert.ok(100 * ap.count() / model.parameterCount() < 5); // adapter size as % of the UNet
  model.params.unfreeze(() => true);
  tf.dispose([value, ...Object.values(grads)]);
  ap.dispose();
});

Deno.test("a cross-type adapter Res_out → FFN_in may return image-shaped output", () => {
  const a: Adapter = { input: "Res_out", output: "FFN_in", fn: (r) => tf.mul(r, 0.1) };
  const out = tf.tidy(() => model.forward(x, t, y, { hooks: { adapters: [a] } }));
  assert.ok(maxDiff(out, base) > 1e-4);
  out.dispose();
  const wrong: Adapter = {
    input: "SA_in",
    output: "FFN_in",
    fn: (r) => tf.slice(r, [0, 0, 0], [1, -1, -1]),
  };
  assert.throws(
    () => tf.tidy(() => model.forward(x, t, y, { hooks: { adapters: [wrong] } })),
    /has shape/,
  );
});
