/**
 * Keeps glibc from handing large blocks back to the kernel after every ORT call.
 *
 * ORT's intermediate tensors (arena off, see sessionCache.ts) are malloc'ed and freed on every
 * run. glibc serves blocks above its mmap threshold with fresh mmap()s, so each run page-faults
 * its intermediates in again: a GroupNorm backward on 64×32×32×32 spends 17 ms instead of 11.
 * Raising the mmap and trim thresholds through mallopt() (via FFI, glibc only) keeps freed
 * blocks in the heap for reuse: a batch-64 UNet step measured 1.40 → 1.16 s for +10% RSS, where
 * ORT's per-session arenas instead doubled RSS (2.1 → 4.2 GB) for no gain.
 * Process-wide and best effort: on other C libraries, or without --allow-ffi, nothing happens.
 */
import { libc } from "../../platform/ffi.ts";

const M_TRIM_THRESHOLD = -1;
const M_MMAP_THRESHOLD = -3;

let applied: boolean | undefined;

/** Applies the thresholds once; returns whether glibc accepted them. */
export function tuneMalloc(bytes = 1 << 30): boolean {
  if (applied !== undefined) return applied;
  applied = false;
  const mallopt = libc()?.mallopt;
  if (mallopt === undefined) return applied;
  // mallopt returns 1 on success
  applied = mallopt(M_MMAP_THRESHOLD, bytes) === 1 && mallopt(M_TRIM_THRESHOLD, bytes) === 1;
  return applied;
}
