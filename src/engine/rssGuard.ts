/**
 * The resident-memory half of the leak guard (leakGuard.ts): fails with RssGrowthError when a
 * training loop's RSS climbs past its post-warm-up level by more than an allowance.
 *
 * Why a bound and not "RSS must be flat": RSS of a healthy loop is not flat. It climbs for tens of
 * steps while glibc's heaps, the ORT output buffer pool and V8's ArrayBuffer garbage settle
 * (bench engine, batch-64 UNet: +0.5 GB over the first ~50 steps), then wanders within a band
 * because freed-but-kept heap memory moves with fragmentation. A leak grows without bound, so it
 * crosses any fixed allowance sooner or later; a plateau never does.
 *
 * The rule: after `warmup` steps the baseline is the highest RSS seen so far; from then on, when
 * the *lowest* RSS of the last `window` steps exceeds baseline + allowance, the loop fails. The
 * window minimum ignores one-off spikes (a checkpoint, a sample batch); the allowance is
 * max(allowBytes, allowFraction × baseline). RSS is process-wide, so when another guarded loop
 * starts in the same process (parallel stages), every running guard takes its baseline again;
 * unguarded work beside a loop (a sampling stage under --jobs > 1) still counts against it, which
 * the allowance's floor of 512 MiB is sized for. Before failing, the guard gives glibc's
 * free-but-kept heap back (`malloc_trim`) and judges the next window: a captured graph's
 * intermediates, allocated and freed on every run, can grow that free heap by gigabytes without
 * any leak (the adapter study's classifier after its base training, 2026-12-05).
 */
import { RssGrowthError } from "./errors.ts";
import * as proc from "../platform/process.ts";
import { trimMalloc } from "./memoryStats.ts";

export interface RssGuardOptions {
  /** Steps before the baseline is fixed (default 50). */
  readonly warmup?: number;
  /** Steps whose lowest RSS is compared with the baseline (default 10). */
  readonly window?: number;
  /** Growth always allowed above the baseline, bytes (default 512 MiB). */
  readonly allowBytes?: number;
  /** Growth allowed as a fraction of the baseline, when larger than allowBytes (default 0.5). */
  readonly allowFraction?: number;
  /** Where RSS comes from (tests inject one); default the process's RSS. */
  readonly sample?: () => number;
  /** What `sample` measures, for the error message (the leak guard's GPU half sets it). */
  readonly memory?: string;
  /**
   * Gives memory that is free but kept back to the system before a failure is declared; the
   * window is then sampled anew. Default with the process's RSS: glibc's `malloc_trim`.
   */
  readonly reclaim?: () => void;
}

export interface RssGuard {
  /** Records this step's RSS (bytes); throws RssGrowthError past the allowance. */
  check(liveTensors?: number): number;
  /** The baseline in bytes once fixed, else undefined (still warming up). */
  baseline(): number | undefined;
}

/** Bumped by every new guard: running guards see it and re-take their baseline. */
let generation = 0;

const MIB = 2 ** 20;

export function createRssGuard(options: RssGuardOptions = {}): RssGuard {
  const warmup = options.warmup ?? 50;
  const window = options.window ?? 10;
  const allowBytes = options.allowBytes ?? 512 * MIB;
  const allowFraction = options.allowFraction ?? 0.5;
  for (const [name, v, min] of [["warmup", warmup, 0], ["window", window, 1]] as const) {
    if (!Number.isInteger(v) || v < min) {
      throw new RangeError(`RSS guard ${name} must be an integer ≥ ${min}, got ${v}`);
    }
  }
  if (!(allowBytes >= 0) || !(allowFraction >= 0)) {
    throw new RangeError(
      `RSS guard allowBytes and allowFraction must be ≥ 0, got ${allowBytes}, ${allowFraction}`,
    );
  }
  const sample = options.sample ?? (() => proc.memoryUsage().rss);
  const reclaim = options.reclaim ?? (options.sample === undefined ? trimMalloc : undefined);
  const mine = ++generation;
  let seen = mine;
  let step = 0;
  let sinceBaseline = 0; // steps since the warm-up (re)started
  let highest = 0;
  let base: { bytes: number; step: number } | undefined;
  const recent: number[] = [];
  let reclaimed = false; // a reclaim was tried and no window has been within bounds since
  return {
    check(liveTensors) {
      step++;
      const rss = sample();
      if (seen !== generation) {
        // another loop started beside this one: its memory is not our leak
        seen = generation;
        sinceBaseline = 0;
        highest = 0;
        base = undefined;
        recent.length = 0;
      }
      sinceBaseline++;
      if (base === undefined) {
        highest = Math.max(highest, rss);
        if (sinceBaseline >= warmup) base = { bytes: highest, step };
        return rss;
      }
      recent.push(rss);
      if (recent.length > window) recent.shift();
      if (recent.length < window) return rss;
      const low = Math.min(...recent);
      const allowance = Math.max(allowBytes, allowFraction * base.bytes);
      if (low > base.bytes + allowance && reclaim !== undefined && !reclaimed) {
        // free-but-kept heap (fragmentation from graphs' intermediates) is not a leak: give it
        // back, and judge the next window on what remains
        reclaim();
        reclaimed = true;
        recent.length = 0;
        return sample();
      }
      if (low > base.bytes + allowance) {
        throw new RssGrowthError({
          step,
          baselineStep: base.step,
          baselineBytes: base.bytes,
          lowestBytes: low,
          allowanceBytes: allowance,
          window,
          ...(liveTensors === undefined ? {} : { liveTensors }),
          ...(options.memory === undefined ? {} : { memory: options.memory }),
        });
      }
      reclaimed = false;
      return rss;
    },
    baseline: () => base?.bytes,
  };
}
