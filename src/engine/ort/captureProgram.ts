/**
 * Graph capture, part 2: turns a trace (captureTrace.ts) into a program and replays it.
 *
 * A program is a list of steps: each run of consecutive captured kernels becomes ONE ONNX graph
 * (their per-op graphs concatenated, names made unique, a Reshape where a consumer saw another
 * shape), run in one ORT session; each per-op kernel is replayed through tfjs dispatch
 * (`engine.runKernel`), exactly as it ran without capture. Inputs, parameters and constants are
 * graph inputs; values used after the segment that made them are graph outputs.
 */
import { tf } from "../../tensor/tf.ts";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { type ConstSpec, ints, type NodeSpec, type ValueSpec } from "./onnxGraph.ts";
import type { GraphSpec } from "./onnxGraph.ts";
import { CAPTURED_PREFIX, dropSession, type Feed, runGraph } from "./sessionCache.ts";
import type { Ref, Trace, TracedKernel, Value } from "./captureTrace.ts";

interface Segment {
  readonly kind: "segment";
  readonly key: string;
  readonly spec: GraphSpec;
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  readonly kernels: number;
}
type Step = Segment | Extract<TracedKernel, { kind: "perOp" }>;

export interface Program {
  readonly steps: readonly Step[];
  readonly values: readonly Value[];
  readonly results: readonly Ref[];
  /** Parameter indices assigned by the captured function (their new values end `results`). */
  readonly assigned: readonly number[];
  readonly resultIsArray: boolean;
  /** Kernels that run inside whole graphs / through per-op dispatch, per replay. */
  readonly capturedKernels: number;
  readonly perOpKernels: number;
  /** Releases the program's ORT sessions. */
  dispose(): void;
}

let programs = 0;

const edge = (id: number) => `v${id}`;
const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** Concatenates the graphs of consecutive captured kernels. */
function segmentSpec(
  kernels: readonly Extract<TracedKernel, { kind: "captured" }>[],
  values: readonly Value[],
  usedLater: (id: number) => boolean,
): { spec: GraphSpec; inputs: number[]; outputs: number[] } {
  const nodes: NodeSpec[] = [];
  const consts: ConstSpec[] = [];
  const produced = new Set<number>();
  const inputs: number[] = [];
  let g = 0;
  for (const k of kernels) {
    for (const call of k.calls) {
      const prefix = `c${g++}_`;
      const rename = new Map<string, string>();
      call.spec.inputs.forEach((inp, i) => {
        const f = call.feeds[i]!;
        if (!produced.has(f.value) && !inputs.includes(f.value)) inputs.push(f.value);
        const v = values[f.value]!;
        if (sameShape(v.dims, f.shape)) {
          rename.set(inp.name, edge(f.value));
        } else {
          const shapeName = `${prefix}shape${i}`;
          consts.push(ints(shapeName, f.shape));
          nodes.push({
            op: "Reshape",
            inputs: [edge(f.value), shapeName],
            outputs: [`${prefix}in${i}`],
          });
          rename.set(inp.name, `${prefix}in${i}`);
        }
      });
      call.spec.outputs.forEach((o, i) => rename.set(o.name, edge(call.outputs[i]!)));
      const name = (n: string) => (n === "" ? "" : rename.get(n) ?? `${prefix}${n}`);
      for (const c of call.spec.consts ?? []) consts.push({ ...c, name: name(c.name) });
      for (const n of call.spec.nodes) {
        nodes.push({ ...n, inputs: n.inputs.map(name), outputs: n.outputs.map(name) });
      }
      for (const id of call.outputs) produced.add(id);
    }
  }
  const outputs = [...produced].filter(usedLater);
  const spec = (ids: readonly number[]): ValueSpec[] =>
    ids.map((id) => ({ name: edge(id), dims: values[id]!.dims }));
  return { spec: { inputs: spec(inputs), outputs: spec(outputs), nodes, consts }, inputs, outputs };
}

/** Groups a trace's kernels into steps and builds each segment's graph (sessions load lazily). */
export function buildProgram(trace: Trace): Program {
  const id = programs++;
  const { kernels, values, results, assigned, resultIsArray } = trace;
  // the last step index that reads each value (results: read after every step)
  const lastUse = new Map<number, number>();
  kernels.forEach((k, i) => {
    const refs = k.kind === "perOp" ? k.inputs.map(([, r]) => r) : k.calls.flatMap((c) => c.feeds);
    for (const r of refs) lastUse.set(r.value, i);
  });
  for (const r of results) lastUse.set(r.value, Infinity);

  const steps: Step[] = [];
  let run: Extract<TracedKernel, { kind: "captured" }>[] = [];
  let runEnd = -1;
  const flush = () => {
    if (run.length === 0) return;
    const end = runEnd;
    const s = segmentSpec(run, values, (v) => (lastUse.get(v) ?? -1) > end);
    steps.push({
      kind: "segment",
      key: `${CAPTURED_PREFIX}${id}.${steps.length}`,
      ...s,
      kernels: run.length,
    });
    run = [];
  };
  kernels.forEach((k, i) => {
    if (k.kind === "captured") {
      run.push(k);
      runEnd = i;
    } else {
      flush();
      steps.push(k);
    }
  });
  flush();
  const segments = steps.filter((s): s is Segment => s.kind === "segment");
  return {
    steps,
    values,
    results,
    assigned,
    resultIsArray,
    capturedKernels: segments.reduce((a, s) => a + s.kernels, 0),
    perOpKernels: steps.length - segments.length,
    dispose: () => segments.forEach((s) => dropSession(s.key)),
  };
}

/**
 * Runs a program on new inputs and the current parameters (same shapes as when captured) and
 * returns the results as new tensors; every intermediate is freed.
 */
export function replayProgram(
  p: Program,
  inputs: readonly tf.Tensor[],
  params: readonly tf.Tensor[],
): tf.Tensor[] {
  const backend = tf.backend() as MathBackendCPU;
  return tf.tidy(() => {
    const slots = new Map<number, tf.Tensor>();
    const base = (id: number): tf.Tensor => {
      const v = p.values[id]!;
      switch (v.source.kind) {
        case "input":
          return inputs[v.source.index]!;
        case "param":
          return params[v.source.index]!;
        case "const": {
          let t = slots.get(id);
          if (t === undefined) {
            slots.set(id, t = tf.tensor(v.source.data.slice(), [...v.dims], v.dtype));
          }
          return t;
        }
        default: {
          const t = slots.get(id);
          if (t === undefined) throw new Error(`graph capture: value ${id} used before it is made`);
          return t;
        }
      }
    };
    // a consumer may have seen another shape (Reshape) or dtype (a Cast to a wider type keeps
    // the storage, e.g. int32 → float32): redo that relabelling
    const tensorAt = (r: Ref): tf.Tensor => {
      let t = base(r.value);
      if (t.dtype !== r.dtype) t = tf.cast(t, r.dtype);
      return sameShape(t.shape, r.shape) ? t : tf.reshape(t, [...r.shape]);
    };
    const array = (id: number): Float32Array => {
      const v = p.values[id]!;
      if (v.source.kind === "const") return v.source.data as Float32Array;
      const values = backend.data.get(base(id).dataId)?.values;
      if (!(values instanceof Float32Array)) {
        throw new Error(`graph capture: value ${id} is not float32 storage`);
      }
      return values;
    };
    for (const s of p.steps) {
      if (s.kind === "segment") {
        const feeds: Feed[] = s.inputs.map((id) => ({ data: array(id), dims: p.values[id]!.dims }));
        const outs = runGraph(
          s.key,
          () => s.spec,
          feeds,
          s.outputs.map((id) => p.values[id]!.dims),
        );
        s.outputs.forEach((id, k) => {
          const info = backend.makeTensorInfo([...p.values[id]!.dims], "float32", outs[k]!);
          slots.set(id, tf.engine().makeTensorFromTensorInfo(info));
        });
      } else {
        const named: tf.NamedTensorMap = {};
        for (const [n, r] of s.inputs) named[n] = tensorAt(r);
        const out = tf.engine().runKernel(s.name, named, s.attrs) as tf.Tensor | tf.Tensor[];
        (Array.isArray(out) ? out : [out]).forEach((t, k) => slots.set(s.outputs[k]!, t));
      }
    }
    return p.results.map((r) => {
      const t = tensorAt(r);
      const v = p.values[r.value]!;
      // inputs and parameters belong to the caller: hand back a copy, never the same tensor
      return v.source.kind === "input" || v.source.kind === "param" ? t.clone() : t;
    });
  });
}
