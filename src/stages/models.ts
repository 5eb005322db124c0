/**
 * Model specs as stage params: which backbone and its size, validated, and how to build one for
 * a dataset's image shape and number of classes.
 */
import * as v from "valibot";
import { createUNet, unetConfig } from "../models/unet.ts";
import { createViT, vitConfig } from "../models/vit.ts";
import type { Denoiser } from "../models/model.ts";
import type { TensorMap } from "../tensor/tensorMap.ts";
import { toParamRecord } from "../train/params.ts";
import { Int } from "../core/schemas.ts";

const ModelSpecShape = v.variant("kind", [
  v.strictObject({
    kind: v.literal("unet"),
    widths: v.optional(v.array(Int(1)), [32, 64, 64]),
    resBlocksPerLevel: v.optional(Int(1), 2),
    attentionLevels: v.optional(v.array(Int(0)), []),
    transformerLevels: v.optional(v.array(Int(0)), []),
    middle: v.optional(v.picklist(["none", "attention", "transformer"]), "attention"),
    groups: v.optional(Int(1), 8),
    headDim: v.optional(Int(1), 32),
    timeEmbDim: v.optional(Int(1)),
    contextTokens: v.optional(Int(1), 1),
    contextDim: v.optional(Int(1), 64),
    ffnMult: v.optional(Int(1), 4),
    /** Zero-initialise every residual branch's last layer and conv_out (ADM); unset: true. */
    zeroInit: v.optional(v.boolean()),
  }),
  v.strictObject({
    kind: v.literal("vit"),
    patchSize: v.optional(Int(1), 4),
    dim: v.optional(Int(1), 128),
    depth: v.optional(Int(1), 7),
    heads: v.optional(Int(1), 4),
    ffnMult: v.optional(Int(1), 4),
  }),
]);
/**
 * A model spec, checked against the backbone's own config rules at plan time (widths that do
 * not divide into heads or groups are reported before anything runs, naming the problem).
 */
export const ModelSpecSchema = v.pipe(
  ModelSpecShape,
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const spec = dataset.value;
    try {
      if (spec.kind === "unet") unetOverrides(spec, { channels: 1, imageSize: 32, numClasses: 0 });
      else {
        const { kind: _kind, ...rest } = spec;
        vitConfig({ ...rest, imageSize: rest.patchSize * 4 });
      }
    } catch (e) {
      addIssue({ message: e instanceof Error ? e.message.replace(/\n\s*/g, " ") : String(e) });
    }
  }),
);
export type ModelSpec = v.InferOutput<typeof ModelSpecShape>;

export interface DataFacts {
  readonly channels: number;
  readonly imageSize: number;
  readonly numClasses: number;
}

function unetOverrides(spec: Extract<ModelSpec, { kind: "unet" }>, data: DataFacts) {
  const { kind: _kind, timeEmbDim, zeroInit, ...rest } = spec;
  return unetConfig({
    ...rest,
    ...(zeroInit === undefined ? {} : { zeroInit }),
    timeEmbDim: timeEmbDim ?? 4 * spec.widths[0]!,
    channels: data.channels,
    numClasses: data.numClasses,
  });
}

/** A freshly initialised backbone for the data. */
export const buildDenoiser = (
  spec: ModelSpec,
  data: DataFacts,
  seed: number,
): Denoiser<unknown> => {
  if (spec.kind === "unet") return createUNet(unetOverrides(spec, data), seed) as Denoiser<unknown>;
  const { kind: _kind, ...rest } = spec;
  return createViT({
    ...rest,
    channels: data.channels,
    imageSize: data.imageSize,
    numClasses: data.numClasses,
  }, seed) as Denoiser<unknown>;
};

/** A backbone from a stored config and parameters (EMA ones when present and asked for). */
export const loadDenoiser = (
  kind: string,
  config: unknown,
  params: TensorMap,
): Denoiser<unknown> => {
  const fresh = kind === "unet"
    ? createUNet(unetConfig(config as Parameters<typeof unetConfig>[0]), 0)
    : kind === "vit"
    ? createViT(vitConfig(config as Parameters<typeof vitConfig>[0]), 0)
    : null;
  if (fresh === null) throw new Error(`unknown model kind "${kind}"`);
  fresh.params.import(toParamRecord(params));
  return fresh as Denoiser<unknown>;
};

/** A stored diffusion model, as far as loading it needs. */
interface StoredDenoiser {
  readonly kind: string;
  readonly config: { readonly model: unknown };
  readonly params: TensorMap;
  readonly ema: TensorMap | null;
}

/** The weights a model is sampled and evaluated with: its EMA when it has one and `useEma`. */
export const samplingWeights = (bundle: StoredDenoiser, useEma = true): TensorMap =>
  useEma && bundle.ema ? bundle.ema : bundle.params;

/** A trained model loaded for sampling and evaluation (its sampling weights). */
export const loadForSampling = (bundle: StoredDenoiser, useEma = true): Denoiser<unknown> =>
  loadDenoiser(bundle.kind, bundle.config.model, samplingWeights(bundle, useEma));
