/**
 * The fused activations of tfjs's `FusedConv2D` / `_FusedMatMul` as ONNX nodes.
 *
 * Returns undefined for activations the ORT graphs do not express (prelu needs a weights
 * tensor), so the caller falls back to the JS kernel instead of computing something else.
 */
import type { ConstSpec, NodeSpec } from "../onnxGraph.ts";

export interface ActivationGraph {
  readonly nodes: NodeSpec[];
  /** Only the constants actually used: ORT warns about unused initializers. */
  readonly consts: ConstSpec[];
}

export function activationNodes(
  activation: string,
  input: string,
  out: string,
  leakyreluAlpha: number,
): ActivationGraph | undefined {
  const one = (op: string, attrs?: NodeSpec["attrs"]): ActivationGraph => ({
    nodes: [{ op, inputs: [input], outputs: [out], ...(attrs ? { attrs } : {}) }],
    consts: [],
  });
  switch (activation) {
    case "linear":
      return one("Identity");
    case "relu":
      return one("Relu");
    case "sigmoid":
      return one("Sigmoid");
    case "elu":
      return one("Elu", { alpha: { f: 1 } });
    case "leakyrelu":
      return one("LeakyRelu", { alpha: { f: leakyreluAlpha } });
    case "relu6":
      // Clip takes its bounds as inputs since opset 11
      return {
        nodes: [{ op: "Clip", inputs: [input, "act_lo", "act_hi"], outputs: [out] }],
        consts: [{ name: "act_lo", dims: [], float32: [0] }, {
          name: "act_hi",
          dims: [],
          float32: [6],
        }],
      };
    default:
      return undefined;
  }
}
