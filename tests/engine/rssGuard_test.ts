import assert from "node:assert/strict";
import { tf } from "../../src/tensor/tf.ts";
import { selectBackend } from "../../src/engine/backend.ts";
import { RssGrowthError } from "../../src/engine/errors.ts";
import { createLeakGuard } from "../../src/engine/leakGuard.ts";
import { createRssGuard } from "../../src/engine/rssGuard.ts";

const MIB = 2 ** 20;

Deno.test("createRssGuard() fails on steady growth past max(512 MiB, 50% of the baseline)", () => {
  let rss = 2048 * MIB;
  const guard = createRssGuard({ warmup: 5, window: 4, sample: () => rss });
  for (let step = 1; step <= 5; step++) guard.check(); // warm-up: baseline 2048 MiB at step 5
  assert.equal(guard.baseline(), 2048 * MIB);
  let failedAt = 0;
  assert.throws(() => {
    for (let step = 6; step <= 100; step++) {
      rss += 64 * MIB; // a leak of 64 MiB per step
      failedAt = step;
      guard.check(821);
    }
  }, (e: unknown) => {
    assert.ok(e instanceof RssGrowthError);
    assert.equal(e._tag, "RssGrowthError");
    // allowance 1024 MiB (50% of 2048); the window's lowest RSS first exceeds 3072 MiB when the
    // oldest of its 4 samples is 2048 + 17×64 = 3136 MiB, at step 25
    assert.equal(failedAt, 25);
    assert.equal(e.growth.allowanceBytes, 1024 * MIB);
    assert.match(
      e.message,
      /RSS\) grew from 2048 MB after warm-up \(step 5\) to at least 3136 MB over the 4 steps up to step 25, more than the 1024 MB allowed: the training loop leaks memory while the live tensor count is 821/,
    );
    return true;
  });
});

Deno.test("createRssGuard() reclaims free-but-kept memory before failing, and fails what remains", () => {
  // fragmentation: 64 MiB a step of free heap, all of it given back by reclaim()
  const rss = 2048 * MIB;
  let freeHeap = 0, reclaims = 0;
  const fragmenting = createRssGuard({
    warmup: 5,
    window: 4,
    sample: () => rss + freeHeap,
    reclaim: () => {
      reclaims++;
      freeHeap = 0;
    },
  });
  for (let step = 1; step <= 200; step++) {
    if (step > 5) freeHeap += 64 * MIB;
    fragmenting.check();
  }
  assert.ok(reclaims >= 5, `reclaimed ${reclaims} times`); // each time the window crossed
  // a leak: reclaim() gives nothing back, so the window after the reclaim fails
  let leaked = 0;
  const leaking = createRssGuard({
    warmup: 5,
    window: 4,
    sample: () => rss + leaked,
    reclaim: () => reclaims++,
  });
  reclaims = 0;
  let failedAt = 0;
  assert.throws(() => {
    for (let step = 1; step <= 100; step++) {
      if (step > 5) leaked += 64 * MIB;
      failedAt = step;
      leaking.check();
    }
  }, RssGrowthError);
  assert.equal(reclaims, 1);
  assert.equal(failedAt, 29); // step 25 crossed, reclaimed; the next full window (26–29) fails
});

Deno.test("createRssGuard() tolerates warm-up growth, a plateau band and one-off spikes", () => {
  let rss = 600 * MIB;
  const guard = createRssGuard({ warmup: 20, window: 5, sample: () => rss });
  for (let step = 1; step <= 300; step++) {
    if (step <= 20) rss += 20 * MIB; // allocator and pool warm-up: +400 MiB
    else rss = (1000 + 100 * Math.sin(step / 7)) * MIB; // plateau wandering ±100 MiB
    if (step % 50 === 0) rss += 2000 * MIB; // a checkpoint or sample batch, gone next step
    guard.check();
  }
  assert.equal(guard.baseline(), 1000 * MIB);
});

Deno.test("createRssGuard() takes its baseline again when another guarded loop starts", () => {
  let rss = 1000 * MIB;
  const first = createRssGuard({ warmup: 2, window: 2, allowFraction: 0, sample: () => rss });
  for (let step = 0; step < 5; step++) first.check();
  assert.equal(first.baseline(), 1000 * MIB);
  // a second training stage starts in the same process and adds 2 GiB: not the first one's leak
  createRssGuard({ warmup: 2, sample: () => rss });
  rss += 2048 * MIB;
  for (let step = 0; step < 20; step++) first.check();
  assert.equal(first.baseline(), 3048 * MIB);
});

Deno.test("createRssGuard() rejects a window below 1 and negative allowances", () => {
  assert.throws(() => createRssGuard({ window: 0 }), /window must be an integer ≥ 1, got 0/);
  assert.throws(() => createRssGuard({ allowBytes: -1 }), /must be ≥ 0, got -1/);
});

Deno.test("createLeakGuard() fails a real loop that leaks memory but no tensors", async () => {
  await selectBackend("cpu");
  const guard = createLeakGuard({
    window: 4,
    warmup: 1,
    rss: { warmup: 2, window: 2, allowBytes: 64 * MIB, allowFraction: 0 },
  });
  const kept: Float32Array[] = []; // e.g. a metrics history that keeps every step's dataSync()
  const live = tf.memory().numTensors;
  assert.throws(() => {
    for (let step = 0; step < 40; step++) {
      const t = tf.fill([2 * MIB], step + 1); // 8 MiB, every page written
      kept.push(t.dataSync() as Float32Array);
      t.dispose();
      assert.equal(tf.memory().numTensors, live); // the tensor count stays flat
      guard.check();
    }
  }, (e: unknown) => {
    assert.ok(e instanceof RssGrowthError);
    assert.match(e.message, /more than the 64 MB allowed: the training loop leaks memory/);
    return true;
  });
  assert.ok(kept.length < 40, `tripped after ${kept.length} steps of 8 MiB`);
});
