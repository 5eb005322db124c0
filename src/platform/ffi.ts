/**
 * Optional calls into glibc (`libc.so.6`): mallopt, mallinfo2, malloc_trim, and on Bun flock.
 *
 * Deno reaches them through `Deno.dlopen` (needs --allow-ffi), Bun through `bun:ffi`. Bun's FFI
 * cannot return a struct by value, so `mallinfo2()` is unavailable there. Everything is best
 * effort: on other C libraries, or where FFI is refused, each call answers `undefined`.
 */
import { bunGlobal, isDeno, isLinux } from "./runtime.ts";

interface Libc {
  readonly mallopt?: (param: number, value: number) => number;
  /** The ten size_t fields of `struct mallinfo2`. */
  readonly mallinfo2?: () => BigUint64Array;
  readonly mallocTrim?: (pad: number) => number;
  /** flock(2); returns 0, or the errno of the failure. */
  readonly flock?: (fd: number, operation: number) => number;
}

const MALLINFO2_FIELDS = 10;

interface BunFfi {
  dlopen: (
    path: string,
    symbols: Record<string, { args: string[]; returns: string }>,
  ) => { symbols: Record<string, (...a: unknown[]) => unknown> };
  read: { i32: (ptr: unknown, offset?: number) => number };
}

let bunFfi: BunFfi | undefined;

/**
 * Loads `bun:ffi` once (a no-op on Deno). Call before `libc()` on Bun; the import is dynamic so
 * that Deno never resolves the specifier.
 */
export const prepareFfi = async (): Promise<void> => {
  if (isDeno() || bunFfi !== undefined || bunGlobal() === undefined) return;
  const specifier = "bun:ffi";
  try {
    bunFfi = await import(specifier) as BunFfi;
  } catch {
    // no FFI: every libc call stays unavailable
  }
};

const openDeno = (): Libc => {
  const lib = Deno.dlopen("libc.so.6", {
    mallopt: { parameters: ["i32", "i32"], result: "i32" },
    malloc_trim: { parameters: ["usize"], result: "i32" },
  });
  let info:
    | Deno.DynamicLibrary<{
      mallinfo2: { parameters: []; result: { struct: Deno.NativeType[] } };
    }>
    | null
    | undefined;
  return {
    mallopt: (p, v) => lib.symbols.mallopt(p, v),
    mallocTrim: (pad) => lib.symbols.malloc_trim(BigInt(pad)),
    mallinfo2: () => {
      if (info === undefined) {
        info = null;
        info = Deno.dlopen("libc.so.6", {
          mallinfo2: {
            parameters: [],
            result: { struct: Array<Deno.NativeType>(MALLINFO2_FIELDS).fill("usize") },
          },
        });
      }
      const raw = info!.symbols.mallinfo2() as Uint8Array<ArrayBuffer>;
      return new BigUint64Array(raw.buffer, raw.byteOffset, MALLINFO2_FIELDS);
    },
  };
};

const openBun = (ffi: BunFfi): Libc => {
  const { symbols } = ffi.dlopen("libc.so.6", {
    mallopt: { args: ["i32", "i32"], returns: "i32" },
    malloc_trim: { args: ["usize"], returns: "i32" },
    flock: { args: ["i32", "i32"], returns: "i32" },
    __errno_location: { args: [], returns: "ptr" },
  });
  return {
    mallopt: (p, v) => symbols.mallopt!(p, v) as number,
    mallocTrim: (pad) => symbols.malloc_trim!(pad) as number,
    flock: (fd, op) =>
      symbols.flock!(fd, op) === 0 ? 0 : ffi.read.i32(symbols.__errno_location!(), 0),
  };
};

let libcCache: Libc | null | undefined;

/** The libc functions this runtime can call; null when none (not Linux, no FFI, no glibc). */
export const libc = (): Libc | null => {
  if (libcCache !== undefined) return libcCache;
  libcCache = null;
  if (!isLinux()) return null;
  try {
    if (isDeno()) libcCache = openDeno();
    else if (bunFfi !== undefined) libcCache = openBun(bunFfi);
  } catch {
    // not glibc, or FFI refused (--allow-ffi)
  }
  return libcCache;
};
