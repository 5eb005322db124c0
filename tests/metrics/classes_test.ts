import assert from "node:assert/strict";
import {
  accuracy,
  classEntropy,
  classHistogram,
  classStats,
  coverage,
  meanMaxProbability,
  MetricsInputError,
  predictedClasses,
  type ScoreKind,
  softmaxRows,
} from "../../src/metrics/mod.ts";
import { assertClose } from "./_helpers.ts";

// Four samples over three classes; arg-max 1, 0, 1, 2.
// deno-fmt-ignore
const logits = new Float32Array([
  0.1, 2.0, -1.0,
  3.0, 0.0, 0.0,
  -2.0, 5.0, 4.0,
  0.0, 1.0, 1.5,
]);

Deno.test("classHistogram() counts arg-max classes of logits", () => {
  assert.deepEqual(Array.from(predictedClasses(logits, 4, 3)), [1, 0, 1, 2]);
  assert.deepEqual(Array.from(classHistogram(logits, 4, 3)), [1, 2, 1]);
  // Ties go to the first class.
  assert.deepEqual(Array.from(predictedClasses(new Float32Array([1, 1, 0]), 1, 3)), [0]);
  assert.throws(() => classHistogram(logits, 4, 2), /has 12 values, expected 4 × 2/);
  assert.throws(() => classHistogram(new Float32Array([NaN, 0]), 1, 2), MetricsInputError);
});

Deno.test("classEntropy() is log K for a uniform histogram and 0 for a single class", () => {
  for (const k of [2, 10, 1000]) {
    const uniform = classEntropy(new Int32Array(k).fill(7));
    assertClose(uniform.nats, Math.log(k), { rtol: 1e-12 }, `K = ${k}`);
    assertClose(uniform.normalised, 1, { atol: 1e-12 });
    const one = new Int32Array(k);
    one[k - 1] = 50;
    assert.deepEqual(classEntropy(one), { nats: 0, normalised: 0 });
  }
  // Shares (1/2, 1/4, 1/4, 0): H = (1/2) log 2 + 2 · (1/4) log 4 = 1.5 log 2.
  const h = classEntropy([2, 1, 1, 0]);
  assertClose(h.nats, 1.5 * Math.log(2), { rtol: 1e-14 });
  assertClose(h.normalised, 1.5 * Math.log(2) / Math.log(4), { rtol: 1e-14 });
  assert.throws(() => classEntropy([0, 0]), /histogram is empty/);
  assert.throws(() => classEntropy([5]), /at least 2 classes/);
  assert.throws(() => classEntropy([1, -1]), /holds -1 at class 1/);
});

Deno.test("coverage() counts classes predicted at least once, or at least a share", () => {
  const counts = [10, 0, 1, 5, 4]; // total 20
  assertClose(coverage(counts), 4 / 5, { atol: 0 });
  assertClose(coverage(counts, 0.2), 3 / 5, { atol: 0 }); // 10, 5 and 4 reach 4 samples
  assertClose(coverage(counts, 0.05), 4 / 5, { atol: 0 });
  assert.equal(coverage(counts, 1), 0);
  assert.throws(() => coverage(counts, 1.5), /minShare must lie in \[0, 1\]/);
});

Deno.test("meanMaxProbability() agrees between logits and their softmax", () => {
  const probs = softmaxRows(logits, 4, 3);
  for (let i = 0; i < 4; i++) {
    assertClose(probs[i * 3]! + probs[i * 3 + 1]! + probs[i * 3 + 2]!, 1, { atol: 1e-15 });
  }
  const fromLogits = meanMaxProbability(logits, 4, 3, "logits");
  assertClose(meanMaxProbability(probs, 4, 3, "probabilities"), fromLogits, { atol: 1e-15 });
  assertClose(meanMaxProbability(new Float32Array([0.5, 0.5, 1, 0]), 2, 2, "probabilities"), 0.75, {
    atol: 1e-7,
  });
  // Huge logits do not overflow.
  assertClose(meanMaxProbability(new Float32Array([1000, 0]), 1, 2, "logits"), 1, { atol: 1e-15 });
});

Deno.test("meanMaxProbability() rejects logits passed as probabilities and unknown kinds", () => {
  assert.throws(
    () => meanMaxProbability(logits, 4, 3, "probabilities"),
    /outside \[0, 1\] at row 0 \(logits\?\)/,
  );
  const unnormalised = new Float32Array([0.2, 0.2, 0.5, 0.5]);
  assert.throws(() => meanMaxProbability(unnormalised, 2, 2, "probabilities"), /sum to 0\.4/);
  assert.throws(
    () => meanMaxProbability(logits, 4, 3, "softmax" as ScoreKind),
    /unknown score kind "softmax"/,
  );
});

Deno.test("accuracy() compares arg-max to labels", () => {
  assert.equal(accuracy(logits, [1, 0, 2, 2]), 0.75);
  assert.equal(accuracy(logits, new Int32Array([0, 1, 0, 1])), 0);
  assert.throws(() => accuracy(logits, [1, 0, 2, 0, 1]), /12 scores do not split into 5 rows/);
  assert.throws(
    () => accuracy(logits, [1, 0, 3, 2]),
    /label 3 at index 2 is not a class in \[0, 3\)/,
  );
});

Deno.test("classStats() gathers histogram, entropy, coverage and confidence", () => {
  const s = classStats(logits, 4, 3, { kind: "logits" });
  assert.deepEqual(Array.from(s.counts), [1, 2, 1]);
  assertClose(s.entropy.nats, classEntropy([1, 2, 1]).nats, { atol: 0 });
  assert.equal(s.coverage, 1);
  assertClose(s.minShare, 0.5 / 3, { atol: 0 });
  assert.equal(s.coverageAtShare, 1);
  assert.equal(classStats(logits, 4, 3, { kind: "logits", minShare: 0.4 }).coverageAtShare, 1 / 3);
});
