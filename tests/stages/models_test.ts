import assert from "node:assert/strict";
import * as v from "valibot";
import { tf } from "../../src/tensor/tf.ts";
import { buildDenoiser, ModelSpecSchema } from "../../src/stages/models.ts";

const spec = (extra: Record<string, unknown>) =>
  v.parse(ModelSpecSchema, {
    kind: "unet",
    widths: [8, 16],
    resBlocksPerLevel: 1,
    middle: "transformer",
    headDim: 8,
    contextDim: 8,
    ...extra,
  });
const data = { channels: 1, imageSize: 8, numClasses: 2 };
const rms = (x: tf.Tensor) => tf.tidy(() => Math.sqrt(tf.mean(tf.square(x)).dataSync()[0]!));

Deno.test("buildDenoiser() zero-initialises proj_out and conv_out unless the spec says zeroInit: false", () => {
  const unset = spec({});
  assert.equal(
    "zeroInit" in unset,
    false,
    "an unset zeroInit stays out of the params (cache keys)",
  );
  const zero = buildDenoiser(unset, data, 0);
  const random = buildDenoiser(spec({ zeroInit: false }), data, 0);
  for (const name of ["mid.0.trans.proj_out.w", "conv_out.w"]) {
    assert.equal(rms(zero.params.get(name)), 0, name);
    assert.ok(rms(random.params.get(name)) > 0, name);
  }
  zero.params.dispose();
  random.params.dispose();
});
