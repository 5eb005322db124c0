/**
 * The adapter study's tuned models: what a tuning stage stores (a base model plus either adapter
 * weights, full fine-tuned weights, or nothing for the frozen baseline) and how to rebuild the
 * forward pass from it. Shared by the tuning, evaluation and sampling stages.
 */
import * as v from "valibot";
import { tf } from "../tensor/tf.ts";
import { type ModelBundle, modelCodec } from "../stages/codecs.ts";
import type { TrainedConfig } from "../stages/trainDiffusion.ts";
import { loadDenoiser, loadForSampling } from "../stages/models.ts";
import { toParamRecord } from "../train/params.ts";
import { adapterHooks, AdapterSpecSchema, initAdapters } from "../models/adapters.ts";
import type { UNetConfig } from "../models/unet.ts";
import type { Denoiser } from "../models/model.ts";
import type { ParamStore } from "../models/params.ts";

export const METHODS = ["adapter", "full", "frozen"] as const;
export type Method = (typeof METHODS)[number];

export const TunedConfigSchema = v.strictObject({
  method: v.picklist(METHODS),
  adapter: v.nullable(AdapterSpecSchema),
  /** Scalars in the base UNet and in what was trained (adapter weights, or every base weight). */
  baseParameters: v.number(),
  trainedParameters: v.number(),
});
export type TunedConfig = v.InferOutput<typeof TunedConfigSchema>;
export const tunedCodec = modelCodec(TunedConfigSchema);
export type TunedBundle = ModelBundle<TunedConfig>;

export type ForwardFn = (x: tf.Tensor4D, t: tf.Tensor1D, labels?: tf.Tensor1D) => tf.Tensor4D;

export interface LoadedTuned {
  readonly base: Denoiser<unknown>;
  readonly adapters: ParamStore | null;
  readonly forward: ForwardFn;
  /** The base model without the adapter (or the frozen base for the full fine-tune). */
  readonly baseForward: ForwardFn;
  dispose(): void;
}

/** Rebuilds a tuned model (base + adapter, or fine-tuned weights) for evaluation. */
export const loadTuned = (base: ModelBundle<TrainedConfig>, tuned: TunedBundle): LoadedTuned => {
  if (base.kind !== "unet") throw new Error(`adapters need a UNet base, got ${base.kind}`);
  const model = loadForSampling(base);
  const frozen = model.forward.bind(model);
  if (tuned.config.method === "full") {
    const ft = loadDenoiser(base.kind, base.config.model, tuned.params);
    return {
      base: model,
      adapters: null,
      forward: (x, t, y) => ft.forward(x, t, y),
      baseForward: frozen,
      dispose: () => {
        model.params.dispose();
        ft.params.dispose();
      },
    };
  }
  if (tuned.config.method === "frozen" || tuned.config.adapter === null) {
    return {
      base: model,
      adapters: null,
      forward: frozen,
      baseForward: frozen,
      dispose: () => model.params.dispose(),
    };
  }
  const spec = tuned.config.adapter;
  const config = model.config as UNetConfig;
  const adapters = initAdapters(config, spec, 0);
  adapters.import(toParamRecord(tuned.params));
  const hooks = adapterHooks(adapters, config, spec);
  return {
    base: model,
    adapters,
    forward: (x, t, y) => model.forward(x, t, y, { hooks }),
    baseForward: frozen,
    dispose: () => {
      model.params.dispose();
      adapters.dispose();
    },
  };
};
