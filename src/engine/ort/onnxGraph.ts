/**
 * Builds small ONNX models (one node, or a handful) as protobuf bytes for onnxruntime.
 *
 * Every heavy tfjs kernel of the `ort` engine is run as a tiny ONNX graph whose inputs are the
 * kernel's tensors and whose shapes are all static, so that onnxruntime can pick its fastest
 * kernel and plan memory once per session. This module only describes graphs; it loads nothing
 * and runs nothing (see sessionCache.ts for that).
 *
 * Shapes are fully static on purpose: a session is cached per (op, shapes, attributes) anyway,
 * and static shapes let ORT's layout transformer (NCHWc convolutions) and memory planner work.
 */
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

/** The ONNX opset every graph is built against (ReduceSum takes axes as input since 13). */
export const OPSET = 17;

/** An attribute value, tagged so that an integer 1 and a float 1.0 stay distinct. */
export type Attr =
  | { readonly i: number }
  | { readonly f: number }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] }
  | { readonly s: string };

/** One graph node; `domain` is "" for standard ONNX and "com.microsoft" for ORT contrib ops. */
export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs?: Readonly<Record<string, Attr>>;
  readonly domain?: string;
}

/** A graph input or output: float32 unless told otherwise. */
export interface ValueSpec {
  readonly name: string;
  readonly dims: readonly number[];
  readonly type?: "float32" | "int64" | "int32" | "bool";
}

/** A constant folded into the model (shape vectors, slice bounds, small scalars). */
export interface ConstSpec {
  readonly name: string;
  readonly dims: readonly number[];
  readonly int64?: readonly number[];
  readonly float32?: readonly number[];
}

export interface GraphSpec {
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
  readonly nodes: readonly NodeSpec[];
  readonly consts?: readonly ConstSpec[];
}

const ELEM_TYPE = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  bool: onnx.TensorProto.DataType.BOOL,
} as const;

function valueInfo(v: ValueSpec): onnxProto.onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: ELEM_TYPE[v.type ?? "float32"],
        shape: { dim: v.dims.map((d) => ({ dimValue: d })) },
      },
    },
  };
}

function attribute(name: string, a: Attr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ("i" in a) return { name, type: T.INT, i: a.i };
  if ("f" in a) return { name, type: T.FLOAT, f: a.f };
  if ("ints" in a) return { name, type: T.INTS, ints: [...a.ints] };
  if ("floats" in a) return { name, type: T.FLOATS, floats: [...a.floats] };
  return { name, type: T.STRING, s: new TextEncoder().encode(a.s) };
}

function constant(c: ConstSpec): onnxProto.onnx.ITensorProto {
  if (c.int64 !== undefined) {
    return { name: c.name, dims: [...c.dims], dataType: ELEM_TYPE.int64, int64Data: [...c.int64] };
  }
  return {
    name: c.name,
    dims: [...c.dims],
    dataType: ELEM_TYPE.float32,
    floatData: [...(c.float32 ?? [])],
  };
}

/** Serialises a graph to ONNX model bytes (IR version 8, standard opset + ORT contrib opset). */
export function buildModel(g: GraphSpec): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "diffrun",
    opsetImport: [
      { domain: "", version: OPSET },
      { domain: "com.microsoft", version: 1 },
      { domain: "com.microsoft.nchwc", version: 1 },
    ],
    graph: {
      name: "g",
      input: g.inputs.map(valueInfo),
      output: g.outputs.map(valueInfo),
      initializer: (g.consts ?? []).map(constant),
      node: g.nodes.map((n, k) => ({
        name: `n${k}`,
        opType: n.op,
        domain: n.domain ?? "",
        input: [...n.inputs],
        output: [...n.outputs],
        attribute: Object.entries(n.attrs ?? {}).map(([name, a]) => attribute(name, a)),
      })),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Shorthand for an int64 vector constant (shapes, axes, slice bounds). */
export function ints(name: string, values: readonly number[]): ConstSpec {
  return { name, dims: [values.length], int64: values };
}

/** Shorthand for a float32 scalar constant. */
export function scalar(name: string, value: number): ConstSpec {
  return { name, dims: [], float32: [value] };
}
