/**
 * One snapshot of where the process's memory is: RSS, V8's heap and external (ArrayBuffer) bytes,
 * and, on glibc, the allocator's own view through mallinfo2(): bytes handed out to the program
 * versus bytes freed but kept in the heap. That split tells a leak (in-use bytes grow) from
 * fragmentation or allocator warm-up (free-but-kept bytes grow, in-use bytes flat).
 * Best effort: without glibc or --allow-ffi the malloc fields are undefined, and on Bun always
 * (its FFI cannot return mallinfo2's struct by value): unavailable, never zero.
 */
import { libc } from "../platform/ffi.ts";
import { runtimeName } from "../platform/runtime.ts";
import * as proc from "../platform/process.ts";

export interface MemorySnapshot {
  /** Resident set size, bytes. */
  readonly rss: number;
  /** V8 heap in use, bytes. */
  readonly heapUsed: number;
  /** Memory V8 accounts to ArrayBuffers and other external objects, bytes. */
  readonly external: number;
  /** glibc: bytes in use in malloc'ed blocks, heap and mmap together (uordblks + hblkhd). */
  readonly mallocInUse?: number;
  /** glibc: bytes freed but kept by the allocator (fordblks). */
  readonly mallocFree?: number;
  /** glibc: bytes in blocks served by their own mmap (hblkhd). */
  readonly mallocMmapped?: number;
  /** Why the malloc fields are absent (unavailable, never reported as zero). */
  readonly mallocUnavailable?: string;
}

const unavailableReason = (): string =>
  runtimeName() === "bun"
    ? "Bun's FFI cannot return mallinfo2()'s struct by value"
    : "no glibc mallinfo2() here (not glibc >= 2.33, or no --allow-ffi)";

function mallinfo(): BigUint64Array | undefined {
  try {
    return libc()?.mallinfo2?.();
  } catch {
    return undefined; // not glibc ≥ 2.33, or no --allow-ffi: the malloc fields stay undefined
  }
}

/** Takes one snapshot (a few microseconds). */
export function memorySnapshot(): MemorySnapshot {
  const m = proc.memoryUsage();
  const base = { rss: m.rss, heapUsed: m.heapUsed, external: m.external };
  const mi = mallinfo();
  if (mi === undefined) return { ...base, mallocUnavailable: unavailableReason() };
  // fields: arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost
  const hblkhd = Number(mi[4]!), uordblks = Number(mi[7]!), fordblks = Number(mi[8]!);
  return { ...base, mallocInUse: uordblks + hblkhd, mallocFree: fordblks, mallocMmapped: hblkhd };
}

/**
 * Diagnostic: asks glibc to return every free page to the kernel (malloc_trim(0)); returns
 * whether it could. RSS that drops after this was allocator slack, not a leak.
 */
export function trimMalloc(): boolean {
  const trim = libc()?.mallocTrim;
  if (trim === undefined) return false;
  trim(0);
  return true;
}
