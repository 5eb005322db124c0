/**
 * One cached onnxruntime session per (op, shapes, attributes), bounded by an LRU, and the one
 * function kernels use to run a graph synchronously: `runGraph`.
 *
 * Why sessions are options-heavy: with hundreds of small sessions, ORT's spinning worker threads
 * burn the cores between calls (11.9 s → 5.0 s per UNet step with spinning off), and a
 * per-session memory arena keeps each session's high-water mark alive (measured here: RSS
 * 2.1 → 4.2 GB with arenas, no faster; malloc.ts fixes the page faults arenas would avoid).
 * Outputs come from bufferPool.ts and are handed to ORT as fetches, so ORT writes straight into
 * the Float32Array that becomes the tfjs tensor's storage (no copy).
 */
import { takeF32 } from "./bufferPool.ts";
import { buildModel, type GraphSpec } from "./onnxGraph.ts";
import { type NativeSession, newNativeSession, type OrtTensorLike } from "./binding.ts";
import * as proc from "../../platform/process.ts";

/** Settings of the ORT engine; `configureOrt` changes them and clears the cache. */
export interface OrtConfig {
  /** ORT intra-op threads; default: all cores (`navigator.hardwareConcurrency`). */
  readonly threads: number;
  /** Sessions kept alive; a UNet training step needs a few hundred. */
  readonly maxSessions: number;
}

let config: OrtConfig = {
  threads: Math.max(1, navigator.hardwareConcurrency || 1),
  maxSessions: 2048,
};

interface Entry {
  readonly session: NativeSession;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
}

const cache = new Map<string, Entry>();

/** Session keys of captured whole graphs start with this (captureProgram.ts names them). */
export const CAPTURED_PREFIX = "capture#";

/** Counters for the bench and for tests (sessions built, runs, evictions). */
export const ortStats = { sessionsCreated: 0, runs: 0, evictions: 0, outputBytes: 0 };

/** Time per session key while profiling is on (the bench's per-graph table). */
let graphTimes: Map<string, { calls: number; ms: number }> | undefined;

export function profileGraphs(on: boolean): Map<string, { calls: number; ms: number }> {
  const last = graphTimes ?? new Map();
  graphTimes = on ? new Map() : undefined;
  return last;
}

export function ortConfig(): OrtConfig {
  return config;
}

/**
 * Changes threads / cache size. Sessions are dropped only when the thread count changes (it is
 * fixed per session); selecting the same engine again keeps the warm cache.
 */
export function configureOrt(patch: Partial<OrtConfig>): OrtConfig {
  if (patch.threads !== undefined && (!Number.isInteger(patch.threads) || patch.threads < 1)) {
    throw new RangeError(`ORT threads must be a positive integer, got ${patch.threads}`);
  }
  if (
    patch.maxSessions !== undefined && (!Number.isInteger(patch.maxSessions) ||
      patch.maxSessions < 1)
  ) {
    throw new RangeError(`ORT maxSessions must be a positive integer, got ${patch.maxSessions}`);
  }
  const threadsChanged = patch.threads !== undefined && patch.threads !== config.threads;
  config = { ...config, ...patch };
  if (threadsChanged) clearSessionCache();
  while (cache.size > config.maxSessions) evictOldest();
  return config;
}

export function clearSessionCache(): void {
  for (const [key, e] of cache) {
    if (profileMatch?.test(key)) e.session.endProfiling?.();
    e.session.dispose?.();
  }
  cache.clear();
}

export function sessionCount(): number {
  return cache.size;
}

/**
 * Debug hook: DIFFRUN_ORT_PROFILE=<regex> makes sessions whose key matches write ORT's own
 * per-node trace (ort_profile_*.json in the working directory; ended when the session is dropped).
 */
const profileMatch = (() => {
  try {
    const v = proc.envGet("DIFFRUN_ORT_PROFILE");
    return v ? new RegExp(v) : undefined;
  } catch {
    return undefined; // no --allow-env
  }
})();

function sessionOptions(key: string): Record<string, unknown> {
  const profiling = profileMatch?.test(key)
    ? { enableProfiling: true, profileFilePrefix: "ort_profile" }
    : {};
  return {
    ...profiling,
    intraOpNumThreads: config.threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
    // no arena: hundreds of per-op sessions would each keep their high-water mark. For captured
    // whole graphs (CAPTURED_PREFIX) an arena was tried on 2026-12-05: no faster in a quick
    // contended A/B, 240 MB more RSS (docs/performance-engine.md)
    enableCpuMemArena: false,
    logSeverityLevel: 3, // errors only: graph-optimiser notices are noise for one-node graphs
    // spinning threads between our many short calls steal the cores from JS and each other
    extra: { session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } } },
  };
}

function evictOldest(): void {
  const oldest = cache.keys().next().value as string;
  cache.get(oldest)?.session.dispose?.();
  cache.delete(oldest);
  ortStats.evictions++;
}

function getSession(key: string, build: () => GraphSpec): Entry {
  const hit = cache.get(key);
  if (hit !== undefined) {
    // refresh the LRU position: Map iterates in insertion order
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const spec = build();
  const bytes = buildModel(spec);
  const session = newNativeSession();
  try {
    session.loadModel(bytes.buffer, bytes.byteOffset, bytes.byteLength, sessionOptions(key));
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(`onnxruntime could not build the session for ${key}: ${msg}`);
  }
  const entry: Entry = {
    session,
    inputNames: spec.inputs.map((v) => v.name),
    outputNames: spec.outputs.map((v) => v.name),
  };
  ortStats.sessionsCreated++;
  cache.set(key, entry);
  while (cache.size > config.maxSessions) evictOldest();
  return entry;
}

/** Removes one session from the cache (graph capture drops the sessions of evicted programs). */
export function dropSession(key: string): void {
  const e = cache.get(key);
  if (e === undefined) return;
  if (profileMatch?.test(key)) e.session.endProfiling?.();
  e.session.dispose?.();
  cache.delete(key);
}

/** What `runGraph` ran: seen by a graph tap (graph capture records kernels through it). */
export interface GraphCall {
  readonly key: string;
  readonly build: () => GraphSpec;
  readonly feeds: readonly Feed[];
  readonly outs: readonly Float32Array[];
  readonly outDims: readonly (readonly number[])[];
}

let graphTap: ((call: GraphCall) => void) | undefined;

/** Installs (or with undefined removes) the observer of every `runGraph` call; returns the old. */
export function setGraphTap(
  tap: ((call: GraphCall) => void) | undefined,
): ((call: GraphCall) => void) | undefined {
  const old = graphTap;
  graphTap = tap;
  return old;
}

/** A graph input: float32 data unless it is an Int32Array / BigInt64Array. */
export interface Feed {
  readonly data: Float32Array | Int32Array | BigInt64Array;
  readonly dims: readonly number[];
}

function tensorOf(f: Feed): OrtTensorLike {
  const type = f.data instanceof Float32Array
    ? "float32"
    : f.data instanceof Int32Array
    ? "int32"
    : "int64";
  return { type, data: f.data, dims: f.dims, location: "cpu" };
}

/**
 * Runs the cached session for `key` (built by `build` on a miss) on `feeds`, in graph-input
 * order, and returns one fresh float32 array per graph output with the given dims.
 */
export function runGraph(
  key: string,
  build: () => GraphSpec,
  feeds: readonly Feed[],
  outDims: readonly (readonly number[])[],
): Float32Array[] {
  const e = getSession(key, build);
  const feedObj: Record<string, OrtTensorLike> = {};
  e.inputNames.forEach((name, k) => {
    const f = feeds[k];
    if (f === undefined) throw new Error(`ORT graph ${key}: missing input ${k} (${name})`);
    feedObj[name] = tensorOf(f);
  });
  const outs: Float32Array[] = [];
  const fetchObj: Record<string, OrtTensorLike> = {};
  e.outputNames.forEach((name, k) => {
    const dims = outDims[k];
    if (dims === undefined) throw new Error(`ORT graph ${key}: missing dims of output ${name}`);
    const data = takeF32(dims.reduce((a, b) => a * b, 1));
    ortStats.outputBytes += data.byteLength;
    outs.push(data);
    fetchObj[name] = { type: "float32", data, dims, location: "cpu" };
  });
  if (graphTimes === undefined) {
    e.session.run(feedObj, fetchObj, {});
  } else {
    const t0 = performance.now();
    e.session.run(feedObj, fetchObj, {});
    const g = graphTimes.get(key) ?? { calls: 0, ms: 0 };
    g.calls++;
    g.ms += performance.now() - t0;
    graphTimes.set(key, g);
  }
  ortStats.runs++;
  graphTap?.({ key, build, feeds, outs, outDims });
  return outs;
}
