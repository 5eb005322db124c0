/** The number-by-number comparison of two runs (crossBackend.ts), on hand-written run folders. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { compareRuns, quantityOf, relativeDifference, runNumbers } from "./crossBackend.ts";

const writeRun = async (dir: string, metrics: object[], artifacts: Record<string, object>) => {
  await Deno.mkdir(join(dir, "artifacts"), { recursive: true });
  await Deno.writeTextFile(
    join(dir, "metrics.jsonl"),
    metrics.map((m) => JSON.stringify(m)).join("\n") + "\n",
  );
  for (const [path, value] of Object.entries(artifacts)) {
    await Deno.mkdir(join(dir, "artifacts", path, ".."), { recursive: true });
    await Deno.writeTextFile(join(dir, "artifacts", path), JSON.stringify(value));
  }
};

Deno.test("relativeDifference() divides by the larger magnitude, floored, and treats NaN as NaN", () => {
  assert.equal(relativeDifference(1, 1), 0);
  assert.equal(relativeDifference(2, 1.5), 0.25);
  assert.equal(relativeDifference(-2, -1.5), 0.25);
  assert.equal(relativeDifference(1e-9, 2e-9), 1e-9 / 1e-6);
  assert.equal(relativeDifference(NaN, NaN), 0);
  assert.equal(relativeDifference(NaN, 1), Infinity);
  assert.equal(relativeDifference(Infinity, Infinity), 0);
});

Deno.test("quantityOf() names a key by its last field, without array indices", () => {
  assert.equal(quantityOf("metrics classifier a/b step 3 .loss"), "loss");
  assert.equal(quantityOf("binned-loss_step_2_/value.json .meanLoss[3]"), "meanLoss");
  assert.equal(quantityOf("min-snr-report/data.json .rows[2].finalFd.halfWidth"), "halfWidth");
});

Deno.test("runNumbers() reads metrics.jsonl records and JSON artifacts, leaving out timings", async () => {
  const dir = await Deno.makeTempDir({ prefix: "diffrun-test-" });
  try {
    await writeRun(dir, [
      { stage: "train", key: "k", arms: ["a=1"], cached: false, step: 1, loss: 0.5, x0Mse: 0.25 },
      { stage: "pairs", arms: [], seconds: 3, pairsPerSecond: 9, pairs: 8 },
    ], {
      "evaluate_a=1_/data.json": { fdClf: 17, samplerOptions: { steps: 3 }, reference: "test" },
      "summary/value.json": { curve: [1, 2], durationMs: 40 },
    });
    const numbers = await runNumbers(dir);
    assert.deepEqual(Object.fromEntries(numbers), {
      "metrics train a=1 step 1 .loss": 0.5,
      "metrics train a=1 step 1 .x0Mse": 0.25,
      "metrics pairs  step - .pairs": 8,
      "evaluate_a=1_/data.json .fdClf": 17,
      "evaluate_a=1_/data.json .samplerOptions.steps": 3,
      "summary/value.json .curve[0]": 1,
      "summary/value.json .curve[1]": 2,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("compareRuns() gives each quantity's largest difference and the keys one run lacks", () => {
  const a = new Map([["s .loss", 1], ["t .loss", 2], ["t .fdClf", 10], ["only-a .x", 1]]);
  const b = new Map([["s .loss", 1.001], ["t .loss", 2.1], ["t .fdClf", 10], ["only-b .x", 1]]);
  const c = compareRuns(a, b);
  assert.deepEqual(c.onlyInA, ["only-a .x"]);
  assert.deepEqual(c.onlyInB, ["only-b .x"]);
  assert.deepEqual(c.quantities.map((q) => q.quantity), ["fdClf", "loss"]);
  const loss = c.quantities[1]!;
  assert.equal(loss.count, 2);
  assert.equal(loss.at, "t .loss");
  assert.ok(Math.abs(loss.max - 0.1 / 2.1) < 1e-12);
  assert.ok(Math.abs(loss.maxAbsolute - 0.1) < 1e-12);
  assert.equal(c.quantities[0]!.max, 0);
});
