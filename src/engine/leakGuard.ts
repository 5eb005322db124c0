/**
 * A leak guard for training loops: call `check()` once per step; it fails with a TensorLeakError
 * when the live tensor count (`tf.memory().numTensors`) keeps growing over a window of steps.
 *
 * "Keeps growing" = over the last `window` steps the count never went down and went up on at
 * least half of them. A steady leak of one tensor every step or two trips it; a one-off rise (a
 * lazily created optimizer slot, a cached constant) does not. The first `warmup` steps are
 * ignored because optimizers create their state there.
 *
 * Leaks that hold no tensor (typed arrays kept from dataSync(), caches that never evict, native
 * objects never disposed) leave that count flat, so every check also feeds an RSS guard
 * (rssGuard.ts), which fails with RssGrowthError when resident memory climbs past its
 * post-warm-up level by more than an allowance. `rss: false` turns that half off.
 *
 * On a GPU backend RSS does not see device memory, so a third check applies the same rule to
 * the bytes tfjs has allocated on the device (`tf.memory().numBytesAllocatedInGPU` on webgpu,
 * buffer pool included); it is on whenever the backend reports that number. `gpu: false` turns
 * it off.
 */
import { tf } from "../tensor/tf.ts";
import { TensorLeakError } from "./errors.ts";
import { createRssGuard, type RssGuardOptions } from "./rssGuard.ts";

export interface LeakGuardOptions {
  /** Steps looked back over (default 10). */
  readonly window?: number;
  /** Steps ignored at the start (default 2). */
  readonly warmup?: number;
  /** Where the count comes from (tests inject one); default `tf.memory().numTensors`. */
  readonly count?: () => number;
  /** The RSS half (rssGuard.ts): its options, or false to skip it; default on with defaults. */
  readonly rss?: RssGuardOptions | false;
  /** The GPU-memory check: its options (RSS guard rules), or false; default on when reported. */
  readonly gpu?: RssGuardOptions | false;
}

/** Bytes tfjs holds on the device (webgpu: allocated buffers, pool included), if reported. */
const gpuBytes = (): number | undefined => {
  const m = tf.memory() as { numBytesAllocatedInGPU?: unknown; numBytesInGPU?: unknown };
  const n = m.numBytesAllocatedInGPU ?? m.numBytesInGPU;
  return typeof n === "number" ? n : undefined;
};

export interface LeakGuard {
  /**
   * Records this step's live tensor count and RSS; throws TensorLeakError on sustained growth
   * of the count, RssGrowthError on RSS past its allowance. Returns the count.
   */
  check(): number;
  /** The counts recorded so far (after warm-up), oldest first, at most window + 1. */
  history(): readonly number[];
}

export function createLeakGuard(options: LeakGuardOptions = {}): LeakGuard {
  const window = options.window ?? 10;
  const warmup = options.warmup ?? 2;
  if (!Number.isInteger(window) || window < 2) {
    throw new RangeError(`leak guard window must be an integer ≥ 2, got ${window}`);
  }
  const count = options.count ?? (() => tf.memory().numTensors);
  const rss = options.rss === false ? undefined : createRssGuard(options.rss);
  const gpu =
    options.gpu === false || (options.gpu?.sample === undefined && gpuBytes() === undefined)
      ? undefined
      : createRssGuard({
        sample: () => gpuBytes() ?? 0,
        memory: "GPU memory held by tfjs (tf.memory().numBytesAllocatedInGPU)",
        ...options.gpu,
      });
  const counts: number[] = [];
  let step = 0;
  const checkCount = (n: number): void => {
    step++;
    if (step <= warmup) return;
    counts.push(n);
    if (counts.length > window + 1) counts.shift();
    if (counts.length === window + 1) {
      let rises = 0, falls = 0;
      for (let i = 1; i < counts.length; i++) {
        if (counts[i]! > counts[i - 1]!) rises++;
        if (counts[i]! < counts[i - 1]!) falls++;
      }
      if (falls === 0 && rises * 2 >= window) {
        throw new TensorLeakError(step, counts[0]!, n, window);
      }
    }
  };
  return {
    check() {
      const n = count();
      checkCount(n); // first: a tensor leak also grows RSS, and its message is more precise
      rss?.check(n);
      gpu?.check(n);
      return n;
    },
    history: () => [...counts],
  };
}
