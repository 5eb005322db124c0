import assert from "node:assert/strict";
import { randn, tf } from "./helpers.ts";
import { classifierConfig, createClassifier } from "../../src/models/classifier.ts";

Deno.test("classifierForward() returns logits and pooled features for 28 and 32 px", () => {
  const m = createClassifier({ widths: [8, 16, 16], groups: 4 }, 1);
  for (const s of [28, 32]) {
    const x = randn([3, s, s, 1], s) as tf.Tensor4D;
    const { logits, features } = m.forward(x);
    assert.deepEqual(logits.shape, [3, 10]);
    assert.deepEqual(features.shape, [3, 16]);
    tf.dispose([x, logits, features]);
  }
  // conv 3×3 (1→8) 80 + norm 16 + conv (8→8) 584 + norm 16 + down 584, level 1: 1168 + 32 + 2320 + 32
  // + down 2320, level 2: 2320 + 32 + 2320 + 32, head 16·10 + 10 = 170
  assert.equal(
    m.parameterCount(),
    80 + 16 + 584 + 16 + 584 + 1168 + 32 + 2320 + 32 + 2320 + 2320 + 32 + 2320 + 32 + 170,
  );
  assert.throws(
    () => classifierConfig({ widths: [8, 12], groups: 8 }),
    /invalid classifier config/,
  );
  m.params.dispose();
});
