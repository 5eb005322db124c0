/**
 * Whole-graph execution of a forward pass on the `ort` engine: `captureForward(fn, options)`
 * returns a function with fn's signature that, the first time it sees a set of input shapes,
 * runs fn eagerly while recording its kernels (captureTrace.ts), and from then on replays them
 * as a few whole ONNX graphs (captureProgram.ts) instead of one small ORT session per op.
 *
 *   const forward = captureForward((x, t) => net.forward(x, t), {
 *     key: `unet:${JSON.stringify(config)}`,   // the model's structure
 *     params: () => net.params.tensors(),       // current parameter tensors, fixed order
 *   });
 *   const eps = forward(xt, t);                  // eager + record once per shape, then replay
 *
 * Programs are keyed by the caller's structure key, the input shapes and dtypes, and the
 * parameter shapes, and kept in an LRU of `maxPrograms` entries (their sessions are dropped on
 * eviction). Forward only: the replay records nothing on tfjs's gradient tape. Randomness must be
 * an input (see captureTrace.ts). On any other backend the function just calls fn.
 * `captureStats` counts kernels that ran inside whole graphs vs through per-op dispatch; stages
 * put its `fraction` into the run's manifest.
 */
import { tf } from "../../tensor/tf.ts";
import { envGet } from "../../platform/process.ts";
import { buildProgram, type Program, replayProgram } from "./captureProgram.ts";
import { recordTrace } from "./captureTrace.ts";
import { ORT_BACKEND_NAME } from "./ortBackend.ts";

export interface CaptureOptions {
  /** Identifies the model's structure (same key + same shapes = same graph). */
  readonly key: string;
  /** The parameters, in a fixed order, as they are now (they may be reassigned between calls). */
  readonly params: () => readonly tf.Tensor[];
}

export interface CaptureStats {
  /** Programs recorded (one per new key and shapes) and replays of a recorded program. */
  captures: number;
  replays: number;
  /** Kernel executions inside whole graphs / through per-op dispatch, over all replays. */
  capturedKernels: number;
  perOpKernels: number;
  /** ORT sessions (whole graphs) run by replays. */
  graphRuns: number;
  evictions: number;
}

export const captureStats: CaptureStats = {
  captures: 0,
  replays: 0,
  capturedKernels: 0,
  perOpKernels: 0,
  graphRuns: 0,
  evictions: 0,
};

/** captured / (captured + per-op) kernel executions so far, or null before any replay. */
export function capturedFraction(): number | null {
  const n = captureStats.capturedKernels + captureStats.perOpKernels;
  return n === 0 ? null : captureStats.capturedKernels / n;
}

/** What a stage records in its manifest: kernel executions captured vs per-op since `start`. */
export interface CaptureShare {
  readonly capturedKernels: number;
  readonly perOpKernels: number;
  /** captured / (captured + per-op); null when nothing ran through a captured program. */
  readonly fraction: number | null;
}

/** Starts counting; the returned function gives the share of kernel executions since then. */
export function captureShareSince(): () => CaptureShare {
  const c0 = captureStats.capturedKernels, p0 = captureStats.perOpKernels;
  return () => {
    const captured = captureStats.capturedKernels - c0;
    const perOp = captureStats.perOpKernels - p0;
    const n = captured + perOp;
    return {
      capturedKernels: captured,
      perOpKernels: perOp,
      fraction: n === 0 ? null : captured / n,
    };
  };
}

export function resetCaptureStats(): void {
  for (const k of Object.keys(captureStats) as (keyof CaptureStats)[]) captureStats[k] = 0;
}

let maxPrograms = 16;
const programs = new Map<string, Program>();

/** Sets how many captured programs are kept (least recently used ones are dropped). */
export function setMaxCapturedPrograms(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`maxPrograms must be ≥ 1, got ${n}`);
  maxPrograms = n;
  evictBeyond(maxPrograms);
}

/** Drops every captured program and its sessions. */
export function clearCapturedPrograms(): void {
  evictBeyond(0);
}

export function capturedProgramCount(): number {
  return programs.size;
}

function evictBeyond(n: number): void {
  while (programs.size > n) {
    const [key, p] = programs.entries().next().value as [string, Program];
    p.dispose();
    programs.delete(key);
    captureStats.evictions++;
  }
}

const shapeKey = (ts: readonly tf.Tensor[]) => ts.map((t) => `${t.dtype}[${t.shape}]`).join(",");

/** Whether graph capture is on: DIFFRUN_GRAPH_CAPTURE=0 turns it off (per-op dispatch only). */
export function graphCaptureEnabled(): boolean {
  return envGet("DIFFRUN_GRAPH_CAPTURE") !== "0";
}

/** The program for these shapes, recorded now (fn runs eagerly) when there is none yet. */
function programFor(
  fn: () => tf.Tensor | tf.Tensor[],
  key: string,
  inputs: readonly tf.Tensor[],
  params: readonly tf.Tensor[],
): { program: Program; eager?: tf.Tensor | tf.Tensor[] } {
  const full = `${key}|${shapeKey(inputs)}|${shapeKey(params)}`;
  const hit = programs.get(full);
  if (hit !== undefined) {
    programs.delete(full); // refresh the LRU position
    programs.set(full, hit);
    return { program: hit };
  }
  const { result, trace } = recordTrace(fn, inputs, params);
  const program = buildProgram(trace);
  programs.set(full, program);
  captureStats.captures++;
  evictBeyond(maxPrograms);
  return { program, eager: result };
}

/** Replays a program; assigns the variables it assigned; returns fn's own results. */
function replay(
  program: Program,
  inputs: readonly tf.Tensor[],
  params: readonly tf.Tensor[],
): tf.Tensor[] {
  const outs = replayProgram(program, inputs, params);
  const own = outs.length - program.assigned.length;
  program.assigned.forEach((index, k) => {
    const t = outs[own + k]!;
    (params[index] as tf.Variable).assign(t);
    t.dispose();
  });
  captureStats.replays++;
  captureStats.capturedKernels += program.capturedKernels;
  captureStats.perOpKernels += program.perOpKernels;
  captureStats.graphRuns += program.steps.length - program.perOpKernels;
  return outs.slice(0, own);
}

/**
 * fn's signature, run as captured graphs. fn must be pure (no `assign`; see `captureStep`): its
 * first call per shape records and then replays, so that every result, the first included, comes
 * from the same graphs (a run resumed mid-way computes exactly what an uninterrupted one did).
 */
export function captureForward<I extends tf.Tensor[], O extends tf.Tensor | tf.Tensor[]>(
  fn: (...inputs: I) => O,
  options: CaptureOptions,
): (...inputs: I) => O {
  return (...inputs: I): O => {
    if (tf.getBackend() !== ORT_BACKEND_NAME || !graphCaptureEnabled()) return fn(...inputs);
    const params = options.params();
    const { program, eager } = programFor(() => fn(...inputs), options.key, inputs, params);
    if (eager !== undefined) tf.dispose(eager);
    const outs = replay(program, inputs, params);
    return (program.resultIsArray ? outs : outs[0]!) as O;
  };
}

/**
 * A whole training step as captured graphs: like `captureForward`, but `state` lists every
 * variable the step reads *or assigns* (parameters, optimiser moments and counters, EMA copies);
 * a replay assigns their new values as the eager step did. fn returns one tensor (the loss).
 * Everything that changes between steps must be an input or a variable: random draws, and
 * learning rates or decay factors computed in JS (those would be frozen at the recorded step).
 * The first call per shape runs eagerly; a step that reads a value back to JS in the middle
 * (`dataSync`) records fine but its JS decision is frozen too, so keep such steps out.
 */
export function captureStep<I extends tf.Tensor[]>(
  fn: (...inputs: I) => tf.Tensor,
  options: { readonly key: string; readonly state: () => readonly tf.Variable[] },
): (...inputs: I) => tf.Tensor {
  return (...inputs: I): tf.Tensor => {
    if (tf.getBackend() !== ORT_BACKEND_NAME || !graphCaptureEnabled()) return fn(...inputs);
    const state = options.state();
    const { program, eager } = programFor(() => fn(...inputs), options.key, inputs, state);
    // the recording step already updated the variables: its result is the step's result
    return eager !== undefined ? eager as tf.Tensor : replay(program, inputs, state)[0]!;
  };
}

/**
 * The variables a tfjs optimiser keeps (Adam's moments and β powers, momentum's accumulations…),
 * for `captureStep`'s state. They exist only after the optimiser's first update.
 */
export function optimizerVariables(opt: tf.Optimizer): tf.Variable[] {
  const o = opt as unknown as Record<string, unknown>;
  const out: tf.Variable[] = [];
  for (const value of Object.values(o)) {
    if (value instanceof tf.Variable) out.push(value);
    if (Array.isArray(value)) {
      for (const slot of value) {
        const v = (slot as { variable?: unknown } | null)?.variable;
        if (v instanceof tf.Variable) out.push(v);
      }
    }
  }
  return out;
}
