import assert from "node:assert/strict";
import { Batcher, epochPermutation, trainTestSplit } from "../../src/data/batching.ts";
import type { Dataset } from "../../src/data/dataset.ts";
import { classCounts } from "../../src/data/dataset.ts";
import { Rng } from "../../src/data/rng.ts";

/** n images of 2×1×1 whose values encode the index, labels i mod 3. */
function indexDataset(n: number): Dataset {
  const images = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) images.set([i, -i], 2 * i);
  return {
    images,
    labels: Int32Array.from({ length: n }, (_, i) => i % 3),
    shape: { n, height: 2, width: 1, channels: 1 },
    classNames: ["a", "b", "c"],
    source: "test",
  };
}

Deno.test("Rng is deterministic, and nextInt() stays in range", () => {
  const a = new Rng(123, 4);
  const b = new Rng(123, 4);
  const xs = Array.from({ length: 50 }, () => a.nextUint32());
  assert.deepEqual(Array.from({ length: 50 }, () => b.nextUint32()), xs);
  assert.notDeepEqual(Array.from({ length: 50 }, () => new Rng(123, 5).nextUint32()), xs);
  const r = new Rng(1);
  const counts = new Array<number>(7).fill(0);
  for (let i = 0; i < 7000; i++) counts[r.nextInt(7)]! += 1;
  for (const c of counts) assert.ok(c > 850 && c < 1150, `counts ${counts}`);
  for (let i = 0; i < 1000; i++) {
    const f = r.nextFloat();
    assert.ok(f >= 0 && f < 1);
  }
});

Deno.test("epochPermutation() is a permutation, fixed by (seed, epoch)", () => {
  const p = epochPermutation(1000, 7, 0);
  assert.deepEqual([...p].sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
  assert.deepEqual(epochPermutation(1000, 7, 0), p);
  assert.notDeepEqual(epochPermutation(1000, 7, 1), p);
  assert.notDeepEqual(epochPermutation(1000, 8, 0), p);
});

Deno.test("Batcher covers every index exactly once per epoch (dropLast false)", () => {
  const ds = indexDataset(103);
  const batcher = new Batcher(ds, { batchSize: 10, seed: 1, dropLast: false });
  assert.equal(batcher.batchesPerEpoch, 11);
  for (const epoch of [0, 1, 5]) {
    const seen = new Array<number>(103).fill(0);
    const sizes: number[] = [];
    for (const batch of batcher.epoch(epoch)) {
      sizes.push(batch.size);
      assert.equal(batch.epoch, epoch);
      for (let j = 0; j < batch.size; j++) {
        const i = batch.indices[j] as number;
        seen[i]! += 1;
        // The copied image and label are those of index i.
        assert.deepEqual([...batch.images.subarray(2 * j, 2 * j + 2)], [i, -i]);
        assert.equal(batch.labels?.[j], i % 3);
      }
    }
    assert.deepEqual(seen, new Array(103).fill(1));
    assert.deepEqual(sizes, [...new Array(10).fill(10), 3]);
  }
});

Deno.test("Batcher gives the same batches for the same seed, by step, and drops the last by default", () => {
  const ds = indexDataset(50);
  const a = new Batcher(ds, { batchSize: 8, seed: 3 });
  const b = new Batcher(ds, { batchSize: 8, seed: 3 });
  const c = new Batcher(ds, { batchSize: 8, seed: 4 });
  assert.equal(a.batchesPerEpoch, 6);
  const stepsA = Array.from({ length: 20 }, (_, s) => [...a.batchIndices(s)]);
  // Random access (descending order) gives the same indices as sequential access.
  const stepsB = Array.from({ length: 20 }, (_, s) => [...b.batchIndices(19 - s)]).reverse();
  assert.deepEqual(stepsB, stepsA);
  assert.notDeepEqual(Array.from({ length: 20 }, (_, s) => [...c.batchIndices(s)]), stepsA);
  assert.ok(stepsA.every((ix) => ix.length === 8));
  // Step 6 starts epoch 1.
  assert.deepEqual(a.batch(6).indices, epochPermutation(50, 3, 1).slice(0, 8));
  // The buffers are reused: a batch's images are overwritten by the next call.
  const first = a.batch(0);
  const kept = first.images.slice();
  a.batch(1);
  assert.notDeepEqual(first.images, kept);
});

Deno.test("Batcher without shuffle visits indices in order", () => {
  const batcher = new Batcher(indexDataset(6), {
    batchSize: 4,
    seed: 0,
    shuffle: false,
    dropLast: false,
  });
  assert.deepEqual([...batcher.batch(0).indices], [0, 1, 2, 3]);
  assert.deepEqual([...batcher.batch(1).indices], [4, 5]);
  assert.deepEqual([...batcher.batch(2).indices], [0, 1, 2, 3]);
  assert.throws(
    () => new Batcher(indexDataset(3), { batchSize: 4, seed: 0 }),
    /batchSize" is 4 but the dataset has 3 images/,
  );
});

Deno.test("trainTestSplit() is disjoint, complete, deterministic, and can stratify", () => {
  const ds = indexDataset(90);
  const { train, test } = trainTestSplit(ds, { seed: 11, testFraction: 0.2 });
  assert.equal(test.shape.n, 18);
  assert.equal(train.shape.n, 72);
  const ids = (d: Dataset) =>
    Array.from({ length: d.shape.n }, (_, j) => d.images[2 * j] as number);
  const all = [...ids(train), ...ids(test)].sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: 90 }, (_, i) => i));
  assert.deepEqual(ids(trainTestSplit(ds, { seed: 11, testFraction: 0.2 }).test), ids(test));
  assert.notDeepEqual(ids(trainTestSplit(ds, { seed: 12, testFraction: 0.2 }).test), ids(test));
  // Each side keeps the original order.
  assert.deepEqual(ids(train), [...ids(train)].sort((a, b) => a - b));
  assert.equal(test.source, "test[test]");
  const strat = trainTestSplit(ds, { seed: 1, testSize: 30, stratify: true });
  assert.deepEqual(classCounts(strat.test), [10, 10, 10]);
  assert.deepEqual(classCounts(strat.train), [20, 20, 20]);
  assert.throws(() => trainTestSplit(ds, { seed: 1 }), /testFraction/);
  assert.throws(() => trainTestSplit(ds, { seed: 1, testSize: 91 }), /testSize/);
});
