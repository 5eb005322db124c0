/**
 * One snapshot of where the process's memory is: RSS, V8's heap and external (ArrayBuffer) bytes,
 * and, on glibc, the allocator's own view through mallinfo2(): bytes handed out to the program
 * versus bytes freed but kept in the heap. That split tells a leak (in-use bytes grow) from
 * fragmentation or allocator warm-up (free-but-kept bytes grow, in-use bytes flat).
 * Best effort: without glibc or --allow-ffi the malloc fields are undefined.
 */

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
}

const SIZE_T_FIELDS = 10; // struct mallinfo2: ten size_t fields

type MallinfoLib = Deno.DynamicLibrary<{
  mallinfo2: { parameters: []; result: { struct: readonly Deno.NativeType[] } };
  malloc_trim: { parameters: ["usize"]; result: "i32" };
}>;

let libc: MallinfoLib | null | undefined;

function mallinfo(): BigUint64Array | undefined {
  if (libc === undefined) {
    libc = null;
    if (Deno.build.os === "linux") {
      try {
        libc = Deno.dlopen("libc.so.6", {
          mallinfo2: {
            parameters: [],
            result: { struct: Array<Deno.NativeType>(SIZE_T_FIELDS).fill("usize") },
          },
          malloc_trim: { parameters: ["usize"], result: "i32" },
        }) as MallinfoLib;
      } catch {
        // not glibc ≥ 2.33, or no --allow-ffi: the malloc fields stay undefined
      }
    }
  }
  if (libc === null) return undefined;
  const raw = libc.symbols.mallinfo2() as Uint8Array<ArrayBuffer>;
  return new BigUint64Array(raw.buffer, raw.byteOffset, SIZE_T_FIELDS);
}

/** Takes one snapshot (a few microseconds). */
export function memorySnapshot(): MemorySnapshot {
  const m = Deno.memoryUsage();
  const base = { rss: m.rss, heapUsed: m.heapUsed, external: m.external };
  const mi = mallinfo();
  if (mi === undefined) return base;
  // fields: arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost
  const hblkhd = Number(mi[4]!), uordblks = Number(mi[7]!), fordblks = Number(mi[8]!);
  return { ...base, mallocInUse: uordblks + hblkhd, mallocFree: fordblks, mallocMmapped: hblkhd };
}

/**
 * Diagnostic: asks glibc to return every free page to the kernel (malloc_trim(0)); returns
 * whether it could. RSS that drops after this was allocator slack, not a leak.
 */
export function trimMalloc(): boolean {
  mallinfo(); // opens libc once
  if (libc === null || libc === undefined) return false;
  libc.symbols.malloc_trim(0n);
  return true;
}
