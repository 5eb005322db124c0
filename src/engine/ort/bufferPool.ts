/**
 * Recycles the large Float32Arrays that ORT kernels write their outputs into.
 *
 * A UNet step writes ~1.5 GB of kernel outputs; a fresh array costs zeroing plus a page fault per
 * 4 KiB on first touch (~0.085 ms per MB measured, ~0.13 s per step). The `ort` backend gives an
 * array back here when the last tfjs data entry using its memory is disposed (see
 * ortBackend.ts), unless the array escaped to user code through `dataSync()` / `data()`, after
 * which it is never reused. Only arrays allocated here are ever recycled: tfjs keeps user-supplied
 * arrays as tensor storage without copying, and those must stay untouched.
 */

/** Arrays below this many elements are cheap to allocate and never pooled. */
const MIN_POOLED = 1 << 14;

let capBytes = 2048 * 2 ** 20;
let pooledBytes = 0;
const free = new Map<number, Float32Array[]>();
/** Buffers allocated here, mapped to their full-length array (users may hold subarray views). */
const owned = new WeakMap<ArrayBufferLike, Float32Array>();
const escaped = new WeakSet<ArrayBufferLike>();

export const poolStats = { reused: 0, allocated: 0 };

/** A float32 array of length n with arbitrary contents; the caller must overwrite all of it. */
export function takeF32(n: number): Float32Array {
  if (n < MIN_POOLED) return new Float32Array(n);
  const list = free.get(n);
  const hit = list?.pop();
  if (hit !== undefined) {
    pooledBytes -= hit.byteLength;
    poolStats.reused++;
    return hit;
  }
  const a = new Float32Array(n);
  owned.set(a.buffer, a);
  poolStats.allocated++;
  return a;
}

/** Marks memory as visible to user code: it is never recycled. */
export function markEscaped(buffer: ArrayBufferLike): void {
  escaped.add(buffer);
}

/** Called when no live tensor uses `buffer` any more: recycles it if it is ours. */
export function releaseBuffer(buffer: ArrayBufferLike): void {
  const a = owned.get(buffer);
  if (a === undefined || escaped.has(buffer)) return;
  if (pooledBytes + a.byteLength > capBytes) return; // let the GC have it
  let list = free.get(a.length);
  if (list === undefined) free.set(a.length, list = []);
  list.push(a);
  pooledBytes += a.byteLength;
}

/** Sets the most memory kept for reuse (default 2 GiB); 0 turns pooling off. */
export function setPoolCap(bytes: number): void {
  capBytes = bytes;
  if (bytes === 0) clearPool();
}

export function clearPool(): void {
  free.clear();
  pooledBytes = 0;
}

export function pooledMegabytes(): number {
  return pooledBytes / 2 ** 20;
}
