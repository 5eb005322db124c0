/**
 * Adapters as a model feature (docs/methods.md#adapters): a small network reading the activation at
 * one input position of every transformer site of a UNet and adds `scale · f(read)` at one output
 * position of the same site. The hook mechanics (positions, validity, where additions happen)
 * live in hooks.ts; this file declares the adapter weights in their own ParamStore, so the base
 * model's store is never touched and an optimiser over the adapter store trains only adapters.
 *
 * Function forms:
 *   transformer adapter: Linear(d_in → r) → act → Linear(r → d_out)                (token input)
 *   residual adapter:    GroupNorm → SiLU → conv3×3(C_in → r) → act → conv3×3(r → C_out)
 *                        (input Res_in or Res_out: the read is a feature map)
 * The form follows from the input position: a feature map is read by the residual form, a token
 * stream (or the CA_c condition tokens) by the transformer form. The up-projection is not
 * zero-initialised (as the authors'): the adapter changes the model from step 0.
 *
 * Sites: every UNet site that has a transformer block (its residual block and the transformer
 * after it), so all pairs, Res_* ones included, act on the same sites and compare fairly.
 */
import * as v from "valibot";
import { tf } from "../tensor/tf.ts";
import {
  type Adapter,
  checkAdapterPair,
  type Hooks,
  type HookSite,
  OUTPUT_POSITIONS,
  type OutputPosition,
  type Position,
  POSITIONS,
} from "./hooks.ts";
import { conv, declareConv, declareLinear, declareNorm, dense, normSilu } from "./layers.ts";
import { ParamStore } from "./params.ts";
import { type UNetConfig, unetSites } from "./unet.ts";

export const ACTIVATIONS = ["relu", "sigmoid", "silu", "identity"] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/**
 * An adapter as params. Both positions accept any of the 10 position names so that an invalid
 * pair is reported by `checkAdapterPair` (naming the pair), not as a bare "invalid type".
 */
export const AdapterSpecSchema = v.strictObject({
  input: v.picklist(POSITIONS),
  output: v.picklist(POSITIONS),
  activation: v.optional(v.picklist(ACTIVATIONS), "silu"),
  scale: v.optional(v.pipe(v.number(), v.gtValue(0), v.finite()), 1),
  /** Bottleneck width r. */
  rank: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 4),
});
export type AdapterSpec = v.InferOutput<typeof AdapterSpecSchema>;

export type AdapterForm = "transformer" | "residual";

/** The function form an input position is read with. */
export const adapterForm = (input: Position): AdapterForm =>
  input === "Res_in" || input === "Res_out" ? "residual" : "transformer";

/** Invalid placements as an error whose message names the pair. */
export class InvalidAdapterPair extends Error {
  readonly _tag = "InvalidAdapterPair";
  constructor(readonly input: string, readonly output: string, readonly reason: string) {
    super(`invalid adapter pair ${input} → ${output}: ${reason}`);
  }
}

/** Throws `InvalidAdapterPair` unless (input, output) is a valid placement. */
export const assertValidPair = (input: Position, output: Position): OutputPosition => {
  const why = checkAdapterPair(input, output);
  if (why !== null) throw new InvalidAdapterPair(input, output, why);
  return output as OutputPosition;
};

/** Every valid (input, output) pair, inputs in forward order (28 of 70). */
export const validPairs = (): { input: Position; output: OutputPosition }[] =>
  POSITIONS.flatMap((input) =>
    OUTPUT_POSITIONS.filter((output) => checkAdapterPair(input, output) === null).map((
      output,
    ) => ({ input, output }))
  );

/** The sites adapters go into: every site with a transformer block. */
export const adapterSites = (config: UNetConfig): HookSite[] =>
  unetSites(config).filter((s) => s.transformer !== null);

/** Channels / token width of the activation at `position` of a transformer site. */
export const positionWidth = (site: HookSite, position: Position): number => {
  if (position === "Res_in") return site.resIn;
  if (position === "CA_c") return site.transformer!.contextDim;
  return site.resOut; // Res_out and every token-stream position
};

const prefix = (site: HookSite) => `adapter.${site.name}`;

/** A store holding freshly initialised adapter weights for `spec` in every adapter site. */
export const initAdapters = (
  config: UNetConfig,
  spec: AdapterSpec,
  seed: number | string,
): ParamStore => {
  const output = assertValidPair(spec.input, spec.output);
  const sites = adapterSites(config);
  if (sites.length === 0) {
    throw new Error(
      "the UNet has no transformer block: adapters need one (transformerLevels or middle)",
    );
  }
  const p = new ParamStore(seed);
  for (const site of sites) {
    const cin = positionWidth(site, spec.input);
    const cout = positionWidth(site, output);
    const name = prefix(site);
    if (adapterForm(spec.input) === "residual") {
      if (cin % config.groups !== 0) {
        throw new Error(
          `${site.name}: ${cin} channels at ${spec.input} do not divide into ${config.groups} groups`,
        );
      }
      declareNorm(p, `${name}.norm`, cin);
      declareConv(p, `${name}.down`, 3, cin, spec.rank);
      declareConv(p, `${name}.up`, 3, spec.rank, cout);
    } else {
      declareLinear(p, `${name}.down`, cin, spec.rank);
      declareLinear(p, `${name}.up`, spec.rank, cout);
    }
  }
  return p;
};

const activate = (a: Activation, x: tf.Tensor): tf.Tensor => {
  switch (a) {
    case "relu":
      return tf.relu(x);
    case "sigmoid":
      return tf.sigmoid(x);
    case "silu":
      return tf.mul(x, tf.sigmoid(x));
    case "identity":
      return x;
  }
};

/** The adapter's function at one site: read activation → tensor sized like the output position. */
const adapterFn =
  (p: ParamStore, config: UNetConfig, spec: AdapterSpec) =>
  (read: tf.Tensor, site: HookSite): tf.Tensor => {
    const name = prefix(site);
    if (adapterForm(spec.input) === "residual") {
      const h = normSilu(p, `${name}.norm`, read, config.groups) as tf.Tensor4D; // [B, H, W, Cin]
      const r = activate(spec.activation, conv(p, `${name}.down`, h)) as tf.Tensor4D; // [B, H, W, r]
      return conv(p, `${name}.up`, r); // [B, H, W, Cout] (reshaped to tokens by the hook if needed)
    }
    const r = activate(spec.activation, dense(p, `${name}.down`, read)); // [B, N, r]
    return dense(p, `${name}.up`, r); // [B, N, Dout]
  };

/** Forward hooks that apply the adapter stored in `p` (made by `initAdapters` for `spec`). */
export const adapterHooks = (p: ParamStore, config: UNetConfig, spec: AdapterSpec): Hooks => {
  const output = assertValidPair(spec.input, spec.output);
  const names = new Set(adapterSites(config).map((s) => s.name));
  const adapter: Adapter = {
    input: spec.input,
    output,
    scale: spec.scale,
    fn: adapterFn(p, config, spec),
    where: (site) => names.has(site.name),
  };
  return { adapters: [adapter] };
};
