/**
 * Graph capture, part 1: records what a function's kernels did on the `ort` backend, as a trace of
 * values and kernels that captureProgram.ts turns into whole ONNX graphs.
 *
 * While recording, every kernel of the `ort` backend is wrapped (as kernelProfiler.ts does) and
 * every `runGraph` call is observed (sessionCache.ts's graph tap). Values are identified by their
 * storage array (the CPU backend's data store): an array produced by an ORT graph is an edge, the
 * storage of an input or a parameter is a graph input, and an array seen first as a kernel input
 * (a tensor made from JS values, e.g. `tf.scalar(2)` or a frequency table) is a constant, copied
 * at once. A kernel is *captured* when all it did was ORT graphs fed from its own inputs' storage
 * and its outputs are those graphs' outputs; any other kernel whose inputs are not all constants
 * is *per-op*: it is replayed through tfjs dispatch. Kernels that only relabel storage (Reshape,
 * a same-dtype Cast) record nothing: the consumer sees the new shape and a Reshape is inserted.
 * Kernels of constants only are folded (their outputs become constants).
 *
 * Consequence: randomness must enter as an input. A tensor drawn inside the function becomes a
 * constant of the trace (frozen at its first value); the callers pass noise in.
 */
import { tf } from "../../tensor/tf.ts";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type { GraphSpec } from "./onnxGraph.ts";
import { type GraphCall, setGraphTap } from "./sessionCache.ts";
import { ortThresholds, setCapturing, setOrtThresholds } from "./kernels/util.ts";

type Storage = Float32Array | Int32Array | Uint8Array;

export type Source =
  | { readonly kind: "input"; readonly index: number }
  | { readonly kind: "param"; readonly index: number }
  | { readonly kind: "const"; readonly data: Storage }
  | { readonly kind: "graph" }
  | { readonly kind: "perOp" };

export interface Value {
  readonly id: number;
  readonly dims: readonly number[];
  readonly dtype: tf.DataType;
  readonly source: Source;
}

/** One use of a value, at the shape the consumer saw. */
export interface Ref {
  readonly value: number;
  readonly shape: readonly number[];
  readonly dtype: tf.DataType;
}

export interface CapturedCall {
  readonly key: string;
  readonly spec: GraphSpec;
  readonly feeds: readonly Ref[];
  readonly outputs: readonly number[];
}

export type TracedKernel =
  | { readonly kind: "captured"; readonly name: string; readonly calls: readonly CapturedCall[] }
  | {
    readonly kind: "perOp";
    readonly name: string;
    readonly inputs: readonly (readonly [string, Ref])[];
    readonly attrs: tf.NamedAttrMap;
    readonly outputs: readonly number[];
  };

export interface Trace {
  readonly values: readonly Value[];
  readonly kernels: readonly TracedKernel[];
  /** fn's results, then the new value of every parameter that fn assigned (see `assigned`). */
  readonly results: readonly Ref[];
  /** Indices of the parameters whose variables fn assigned, in the order of their results. */
  readonly assigned: readonly number[];
  /** Whether fn returned an array (else one tensor, `results[0]`). */
  readonly resultIsArray: boolean;
}

const FORCE_ORT = { sameShapeElements: 0, broadcastElements: 0, moveElements: 0, flops: 0 };

/**
 * Runs `fn` eagerly on the current (`ort`) backend with every size threshold at 0 (so that small
 * ops go to ORT and can be captured), and returns its result together with the trace.
 */
export function recordTrace(
  fn: () => tf.Tensor | tf.Tensor[],
  inputs: readonly tf.Tensor[],
  params: readonly tf.Tensor[],
): { readonly result: tf.Tensor | tf.Tensor[]; readonly trace: Trace } {
  const backendName = tf.getBackend();
  const backend = tf.backend() as MathBackendCPU;
  const storageOf = (t: tf.TensorInfo): Storage | undefined =>
    backend.data.get(t.dataId)?.values as Storage | undefined;
  const values: Value[] = [];
  const current = new Map<object, number>();
  const kernels: TracedKernel[] = [];
  const newValue = (dims: readonly number[], dtype: tf.DataType, source: Source): number => {
    values.push({ id: values.length, dims: [...dims], dtype, source });
    return values.length - 1;
  };
  const isConst = (id: number) => values[id]!.source.kind === "const";
  // a variable read without being listed would be frozen into the graph: refuse it
  const variables = new Map<object, string>();
  for (const v of Object.values(tf.engine().registeredVariables)) {
    const s = storageOf(v);
    if (s !== undefined) variables.set(s, v.name);
  }
  const valueOf = (t: tf.TensorInfo): number => {
    const s = storageOf(t);
    if (s === undefined) throw new Error(`graph capture: tensor [${t.shape}] has no CPU storage`);
    const known = current.get(s);
    if (known !== undefined) return known;
    const variable = variables.get(s);
    if (variable !== undefined) {
      throw new Error(
        `graph capture: variable "${variable}" [${t.shape}] is read but not listed in the ` +
          "captured function's params/state; it would be frozen at its current value",
      );
    }
    const id = newValue(t.shape, t.dtype, { kind: "const", data: s.slice() });
    current.set(s, id);
    return id;
  };
  const ref = (t: tf.TensorInfo): Ref => ({
    value: valueOf(t),
    shape: [...t.shape],
    dtype: t.dtype,
  });
  inputs.forEach((t, index) => {
    const s = storageOf(t);
    if (s !== undefined && !current.has(s)) {
      current.set(s, newValue(t.shape, t.dtype, { kind: "input", index }));
    }
  });
  params.forEach((t, index) => {
    const s = storageOf(t);
    if (s !== undefined && !current.has(s)) {
      current.set(s, newValue(t.shape, t.dtype, { kind: "param", index }));
    }
  });

  let depth = 0;
  let calls: GraphCall[] = [];
  const traceKernel = (
    name: string,
    args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap },
    run: () => tf.TensorInfo | tf.TensorInfo[],
  ) => {
    const named = Object.entries(args.inputs).filter((e): e is [string, tf.TensorInfo] =>
      e[1] != null
    );
    const ins = named.map(([n, t]) => [n, ref(t)] as const);
    const inStorage = named.map(([, t]) => storageOf(t));
    calls = [];
    depth++;
    let out: tf.TensorInfo | tf.TensorInfo[];
    try {
      out = run();
    } finally {
      depth--;
    }
    const outs = Array.isArray(out) ? out : [out];
    const outStorage = outs.map(storageOf);
    if (outStorage.every((s) => s !== undefined && inStorage.includes(s))) return out; // relabel
    if (ins.every(([, r]) => isConst(r.value))) {
      outs.forEach((o, k) => {
        const s = outStorage[k]!;
        current.set(s, newValue(o.shape, o.dtype, { kind: "const", data: s.slice() }));
      });
      return out;
    }
    const captured = captureCalls(ins.map(([, r]) => r), inStorage, calls, outStorage);
    if (captured !== undefined) {
      kernels.push({ kind: "captured", name, calls: captured });
    } else {
      const ids = outs.map((o, k) => {
        const id = newValue(o.shape, o.dtype, { kind: "perOp" });
        current.set(outStorage[k]!, id);
        return id;
      });
      kernels.push({ kind: "perOp", name, inputs: ins, attrs: { ...args.attrs }, outputs: ids });
    }
    return out;
  };

  /** The calls as graph nodes, or undefined when the kernel did more than run graphs. */
  function captureCalls(
    ins: readonly Ref[],
    inStorage: readonly (Storage | undefined)[],
    made: readonly GraphCall[],
    outStorage: readonly (Storage | undefined)[],
  ): CapturedCall[] | undefined {
    if (made.length === 0) return undefined;
    const local = new Map<object, number>(); // storage → value id, inside this kernel
    inStorage.forEach((s, k) => s !== undefined && local.set(s, ins[k]!.value));
    const pending: { dims: readonly number[] }[] = [];
    const firstNew = values.length;
    const result: CapturedCall[] = [];
    for (const c of made) {
      const feeds: Ref[] = [];
      for (const f of c.feeds) {
        const id = local.get(f.data);
        if (id === undefined || !(f.data instanceof Float32Array)) return undefined;
        feeds.push({ value: id, shape: [...f.dims], dtype: "float32" });
      }
      const outputs = c.outs.map((o, k) => {
        const id = firstNew + pending.length;
        pending.push({ dims: c.outDims[k]! });
        local.set(o, id);
        return id;
      });
      result.push({ key: c.key, spec: c.build(), feeds, outputs });
    }
    const outIds = outStorage.map((s) => (s === undefined ? undefined : local.get(s)));
    if (outIds.some((id) => id === undefined || id < firstNew)) return undefined;
    for (const p of pending) newValue(p.dims, "float32", { kind: "graph" });
    outIds.forEach((id, k) => current.set(outStorage[k]!, id!));
    return result;
  }

  const originals = tf.getKernelsForBackend(backendName);
  for (const k of originals) {
    const inner = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, backendName);
    tf.registerKernel({
      ...k,
      kernelFunc: ((args: Parameters<tf.KernelFunc>[0]) =>
        depth > 0
          ? inner(args)
          : traceKernel(k.kernelName, args, () =>
            inner(args))) as tf.KernelFunc,
    });
  }
  const oldTap = setGraphTap((c) => {
    if (depth === 1) calls.push(c);
  });
  const oldThresholds = ortThresholds();
  setOrtThresholds(FORCE_ORT);
  setCapturing(true);
  try {
    const result = fn();
    const results = (Array.isArray(result) ? result : [result]).map(ref);
    // a variable that fn assigned (optimiser, EMA) now holds another value: it is a result too
    const assigned: number[] = [];
    params.forEach((t, index) => {
      const r = ref(t);
      const v = values[r.value]!.source;
      if (v.kind === "param" && v.index === index) return;
      assigned.push(index);
      results.push(r);
    });
    const resultIsArray = Array.isArray(result);
    return { result, trace: { values, kernels, results, assigned, resultIsArray } };
  } finally {
    setCapturing(false);
    setOrtThresholds(oldThresholds);
    setGraphTap(oldTap);
    for (const k of originals) {
      tf.unregisterKernel(k.kernelName, backendName);
      tf.registerKernel(k);
    }
  }
}
