/**
 * The fused GroupNorm(+SiLU) kernels of ../../groupNorm.ts as ORT graphs, built to make as few
 * full passes over x [N, ..., C] as possible (each costs ~0.4-1.5 ns per element):
 *
 * - statistics: ReduceSum over the pixels of the [N, S, C] view (ORT's fast "keep the inner
 *   axis" loop) of x and x², then tiny [N, C] → [N, G] sums; var = E[x²] − mean² (fine for
 *   activations whose mean is not orders of magnitude above their spread, as in a UNet);
 * - y = x·a + b with per-(item, channel) a = γ·rstd, b = β − mean·a as [N, 1, C], on the
 *   [N, S, C] view in which inputs and outputs are declared (a trailing Reshape would copy);
 *   SiLU as QuickGelu(α = 1).
 * Forward: 4 passes. Backward (statistics from the forward): y (2), SiLU′ (6), g·x (1),
 * dx = g·a + x·B + C0 as one Sum (3). Small tensors use the JS loops of the cpu kernels.
 */
import { type ConstSpec, ints, type NodeSpec, scalar } from "../onnxGraph.ts";
import { runGraph } from "../sessionCache.ts";
import { GROUP_NORM, GROUP_NORM_GRAD, type GroupNormAttrs } from "../../groupNorm.ts";
import { f32, isF32, ortThresholds, output, size, sk, withFallback } from "./util.ts";

const n = (op: string, inputs: string[], out: string, attrs?: NodeSpec["attrs"]): NodeSpec => ({
  op,
  inputs,
  outputs: [out],
  ...(attrs ? { attrs } : {}),
});

const KEEP0 = { keepdims: { i: 0 } };

function dims(shape: readonly number[], groups: number) {
  const N = shape[0]!, C = shape[shape.length - 1]!;
  const S = size(shape) / (N * C);
  // inputs and outputs are declared as the [N, S, C] view (same memory as x), so no node has to
  // copy for a reshape. (Tiling the [N, 1, C] parameters to widen ORT's broadcast spans, which
  // helps a lone broadcast Mul at C = 32, measured slower inside these graphs.)
  return { N, S, C, G: groups, Cg: C / groups, M: S * (C / groups), view: [N, S, C] };
}

/** Per-(item, channel) [N, G, Cg] tensor `src` as the broadcast parameter [N, 1, C]. */
const toParam = (src: string, out: string): NodeSpec[] => [n("Reshape", [src, "n1c"], out)];

/** a = γ·rstd and b = β − mean·a from mean/rstd [N, G], then y = x·a + b on the [N, S, C] view. */
function affineNodes(d: ReturnType<typeof dims>): { nodes: NodeSpec[]; consts: ConstSpec[] } {
  return {
    consts: [
      ints("ng1", [d.N, d.G, 1]),
      ints("g1gc", [1, d.G, d.Cg]),
      ints("n1c", [d.N, 1, d.C]),
      ints("nsc", [d.N, d.S, d.C]),
    ],
    nodes: [
      n("Reshape", ["mean", "ng1"], "mean3"),
      n("Reshape", ["rstd", "ng1"], "rstd3"),
      n("Reshape", ["gamma", "g1gc"], "gam3"),
      n("Reshape", ["beta", "g1gc"], "bet3"),
      n("Mul", ["rstd3", "gam3"], "a3"), // [N, G, Cg]
      n("Mul", ["mean3", "a3"], "ma3"),
      n("Sub", ["bet3", "ma3"], "b3"),
      ...toParam("a3", "a"),
      ...toParam("b3", "b"),
      n("Mul", ["x", "a"], "xa"),
      n("Add", ["xa", "b"], "y"),
    ],
  };
}

export const groupNormOrtConfig = withFallback(GROUP_NORM, (args) => {
  const { x, gamma, beta } = args.inputs;
  const a = args.attrs as unknown as GroupNormAttrs;
  if (!isF32(x, gamma, beta) || size(x!.shape) < ortThresholds().moveElements) return undefined;
  const d = dims(x!.shape, a.groups);
  const key = `GroupNorm|${sk(x!.shape)}|${a.groups}|${a.eps}|${a.silu}`;
  const build = () => {
    const aff = affineNodes(d);
    const consts: ConstSpec[] = [
      ints("ax1", [1]),
      ints("ax2", [2]),
      ints("ngc", [d.N, d.G, d.Cg]),
      scalar("invm", 1 / d.M),
      scalar("eps", a.eps),
      ...aff.consts,
    ];
    const nodes: NodeSpec[] = [
      n("Reshape", ["x", "nsc"], "xs"),
      n("ReduceSum", ["xs", "ax1"], "s1", KEEP0), // [N, C]
      n("Mul", ["xs", "xs"], "x2"),
      n("ReduceSum", ["x2", "ax1"], "s2", KEEP0),
      n("Reshape", ["s1", "ngc"], "s1g"),
      n("Reshape", ["s2", "ngc"], "s2g"),
      n("ReduceSum", ["s1g", "ax2"], "t1", KEEP0), // [N, G]
      n("ReduceSum", ["s2g", "ax2"], "t2", KEEP0),
      n("Mul", ["t1", "invm"], "mean"),
      n("Mul", ["t2", "invm"], "ex2"),
      n("Mul", ["mean", "mean"], "m2"),
      n("Sub", ["ex2", "m2"], "vr"),
      n("Relu", ["vr"], "var"), // rounding can make E[x²] − mean² slightly negative
      n("Add", ["var", "eps"], "ve"),
      n("Sqrt", ["ve"], "sd"),
      n("Reciprocal", ["sd"], "rstd"),
      ...aff.nodes,
      a.silu
        ? {
          op: "QuickGelu",
          domain: "com.microsoft",
          inputs: ["y"],
          outputs: ["out"],
          attrs: { alpha: { f: 1 } },
        }
        : n("Identity", ["y"], "out"),
    ];
    return {
      inputs: [
        { name: "x", dims: d.view },
        { name: "gamma", dims: gamma!.shape },
        { name: "beta", dims: beta!.shape },
      ],
      outputs: [
        { name: "out", dims: d.view },
        { name: "mean", dims: [d.N, d.G] },
        { name: "rstd", dims: [d.N, d.G] },
      ],
      nodes,
      consts,
    };
  };
  const feeds = [
    { data: f32(args.backend, x!), dims: d.view },
    { data: f32(args.backend, gamma!), dims: gamma!.shape },
    { data: f32(args.backend, beta!), dims: beta!.shape },
  ];
  const stats = [d.N, d.G];
  const [y, mean, rstd] = runGraph(key, build, feeds, [d.view, stats, stats]);
  return [
    output(args.backend, x!.shape, y!),
    output(args.backend, stats, mean!),
    output(args.backend, stats, rstd!),
  ];
});

export const groupNormGradOrtConfig = withFallback(GROUP_NORM_GRAD, (args) => {
  const { dy, x, gamma, beta, mean, rstd } = args.inputs;
  const a = args.attrs as unknown as GroupNormAttrs;
  if (!isF32(dy, x, gamma, beta) || size(x!.shape) < ortThresholds().moveElements) {
    return undefined;
  }
  const d = dims(x!.shape, a.groups);
  const key = `GroupNormGrad|${sk(x!.shape)}|${a.groups}|${a.silu}`;
  const build = () => {
    const aff = affineNodes(d);
    const consts: ConstSpec[] = [
      ints("ax0", [0]),
      ints("ax1", [1]),
      ints("ax2", [2]),
      ints("ngc", [d.N, d.G, d.Cg]),
      ints("nc", [d.N, d.C]),
      scalar("invm", 1 / d.M),
      ...aff.consts,
    ];
    const nodes: NodeSpec[] = [...aff.nodes];
    if (a.silu) {
      // silu'(y) = s + q − q·s with s = sigmoid(y), q = y·s
      nodes.push(
        n("Sigmoid", ["y"], "s"),
        n("Mul", ["y", "s"], "q"),
        n("Mul", ["q", "s"], "qs"),
        n("Sum", ["s", "q"], "sq"),
        n("Sub", ["sq", "qs"], "ds"),
        n("Mul", ["dy", "ds"], "g"),
      );
    } else {
      nodes.push(n("Identity", ["dy"], "g"));
    }
    nodes.push(
      // per (item, channel): S1 = Σ g, T = Σ g·xhat = rstd·(Σ g·x − mean·S1)
      n("Reshape", ["g", "nsc"], "gv"),
      n("ReduceSum", ["gv", "ax1"], "S1", KEEP0), // [N, C]
      n("Mul", ["g", "x"], "gx"),
      n("Reshape", ["gx", "nsc"], "gxv"),
      n("ReduceSum", ["gxv", "ax1"], "S2", KEEP0),
      n("Reshape", ["S1", "ngc"], "S1g"),
      n("Reshape", ["S2", "ngc"], "S2g"),
      n("Mul", ["mean3", "S1g"], "mS1"),
      n("Sub", ["S2g", "mS1"], "S2c"),
      n("Mul", ["rstd3", "S2c"], "Tg"), // [N, G, Cg]
      n("Reshape", ["Tg", "nc"], "T"),
      n("ReduceSum", ["S1", "ax0"], "dbeta", KEEP0),
      n("ReduceSum", ["T", "ax0"], "dgamma", KEEP0),
      // m1 = Σ_c γ·S1 / M, m2 = Σ_c γ·T / M per (item, group)
      n("Mul", ["gam3", "S1g"], "gS1"),
      n("Mul", ["gam3", "Tg"], "gT"),
      n("ReduceSum", ["gS1", "ax2"], "m1s", { keepdims: { i: 1 } }), // [N, G, 1]
      n("ReduceSum", ["gT", "ax2"], "m2s", { keepdims: { i: 1 } }),
      n("Mul", ["m1s", "invm"], "m1"),
      n("Mul", ["m2s", "invm"], "m2"),
      // dx = g·a + x·B + C0, B = −rstd²·m2, C0 = −rstd·m1 + mean·rstd²·m2
      n("Mul", ["rstd3", "rstd3"], "r2"),
      n("Mul", ["r2", "m2"], "r2m2"),
      n("Neg", ["r2m2"], "B3"),
      n("Mul", ["rstd3", "m1"], "rm1"),
      n("Mul", ["mean3", "r2m2"], "mr2m2"),
      n("Sub", ["mr2m2", "rm1"], "C3"),
      n("Expand", ["B3", "ngc"], "Be"),
      n("Expand", ["C3", "ngc"], "Ce"),
      ...toParam("Be", "B"),
      ...toParam("Ce", "C0"),
      n("Mul", ["g", "a"], "ga"),
      n("Mul", ["x", "B"], "xB"),
      n("Sum", ["ga", "xB", "C0"], "dx"),
    );
    return {
      inputs: [
        { name: "dy", dims: d.view },
        { name: "x", dims: d.view },
        { name: "gamma", dims: gamma!.shape },
        { name: "beta", dims: beta!.shape },
        { name: "mean", dims: [d.N, d.G] },
        { name: "rstd", dims: [d.N, d.G] },
      ],
      outputs: [
        { name: "dx", dims: d.view },
        { name: "dgamma", dims: [d.C] },
        { name: "dbeta", dims: [d.C] },
      ],
      nodes,
      consts,
    };
  };
  const feeds = [dy!, x!, gamma!, beta!, mean!, rstd!].map((t, i) => ({
    data: f32(args.backend, t),
    dims: i < 2 ? d.view : t.shape,
  }));
  const [dx, dg, db] = runGraph(key, build, feeds, [d.view, [d.C], [d.C]]);
  return [
    output(args.backend, x!.shape, dx!),
    output(args.backend, gamma!.shape, dg!),
    output(args.backend, beta!.shape, db!),
  ];
});
