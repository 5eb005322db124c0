/**
 * `adapter-sensitivity`: what each adapter position can do on the frozen base, before tuning
 * (adapterSensitivity.ts), on the first `batch` of the evaluation triples of the target test
 * split. Depends on the base and the target domain only, so one instance serves every arm of a
 * sweep; it also records the RMS of every transformer site's output projections, the weights an
 * addition inside the transformer has to pass through.
 */
import * as v from "valibot";
import * as Effect from "effect/Effect";
import { tf } from "../tensor/tf.ts";
import { defineStage } from "../core/stage.ts";
import { json } from "../core/codec.ts";
import type { DatasetSplits, ModelBundle } from "../stages/codecs.ts";
import type { TrainedConfig } from "../stages/trainDiffusion.ts";
import { useEngine } from "../stages/engine.ts";
import { loadForSampling } from "../stages/models.ts";
import { makeSchedule } from "../diffusion/schedules.ts";
import { deriveSeed } from "../diffusion/rng.ts";
import { evalTriples } from "../metrics/timestepBins.ts";
import { tripleBatch } from "../stages/tripleBatch.ts";
import { ACTIVATIONS, adapterSites } from "../models/adapters.ts";
import type { UNetConfig } from "../models/unet.ts";
import type { ParamStore } from "../models/params.ts";
import { OUTPUT_POSITIONS, POSITIONS } from "../models/hooks.ts";
import { Int, Positive } from "../core/schemas.ts";
import { measureSensitivity, rms } from "./adapterSensitivity.ts";
import { takeScalar } from "../tensor/read.ts";

export const AdapterSensitivityParams = v.strictObject({
  /** Triples of the batch (the first of the evaluation triples drawn from `tripleSeed`). */
  batch: v.optional(Int(1), 32),
  triples: v.optional(Int(1), 500),
  tripleSeed: v.optional(Int(0), 0),
  /** As tuning: the adapters' initial weights come from deriveSeed(seed, "adapter"). */
  seed: v.optional(Int(0), 0),
  perturbation: v.optional(Positive, 0.1),
  raisedScale: v.optional(Positive, 4),
  activation: v.optional(v.picklist(ACTIVATIONS), "silu"),
  rank: v.optional(Int(1), 4),
});

const maybe = v.nullable(v.number());
export const AdapterSensitivitySchema = v.strictObject({
  batch: v.number(),
  baseLoss: v.number(),
  perturbation: v.number(),
  raisedScale: v.number(),
  positions: v.array(v.strictObject({
    site: v.string(),
    position: v.picklist(POSITIONS),
    activationRms: v.number(),
    gradNorm: maybe,
    outputChange: maybe,
  })),
  pairs: v.array(v.strictObject({
    input: v.picklist(POSITIONS),
    output: v.picklist(OUTPUT_POSITIONS),
    gradNorm: v.number(),
    outputChange: v.number(),
    outputChangeRaised: v.number(),
  })),
  /** RMS of each transformer site's output projections (sa.o, ca.o, ff2, proj_out weights). */
  weights: v.array(v.strictObject({ name: v.string(), rms: v.number() })),
});
export type AdapterSensitivity = v.InferOutput<typeof AdapterSensitivitySchema>;

const OUTPUT_PROJECTIONS = /\.trans\.(layer\.(sa\.o|ca\.o|ff2)|proj_out)\.w$/;

/** RMS of every transformer output-projection weight of `params`. */
export const outputProjectionRms = async (
  params: ParamStore,
): Promise<{ name: string; rms: number }[]> => {
  const out: { name: string; rms: number }[] = [];
  for (const name of params.names().filter((n) => OUTPUT_PROJECTIONS.test(n))) {
    out.push({ name, rms: await takeScalar(rms(params.get(name))) });
  }
  return out;
};

export const adapterSensitivityStage = defineStage({
  name: "adapter-sensitivity",
  version: "1",
  module: import.meta.url,
  params: AdapterSensitivityParams,
  inputs: ["base", "target"],
  output: json(AdapterSensitivitySchema),
  resources: { compute: 1 },
  engineSensitive: true,
  run: (ctx, p, inputs: { base: ModelBundle<TrainedConfig>; target: DatasetSplits }) =>
    Effect.gen(function* () {
      yield* useEngine(ctx);
      const base = inputs.base;
      if (base.kind !== "unet" || base.config.target === null) {
        return yield* Effect.fail(new Error("adapter-sensitivity needs a trained UNet base"));
      }
      const model = loadForSampling(base);
      const config = model.config as UNetConfig;
      const schedule = makeSchedule(base.config.schedule);
      const test = inputs.target.test;
      const target = base.config.target;
      const count = Math.min(p.batch, p.triples);
      const triples = evalTriples(p.triples, schedule.T, p.tripleSeed, {
        numImages: test.shape.n,
      });
      const tb = tripleBatch(test, triples, 0, count);
      const { height: h, width: w, channels: c } = test.shape;
      const x0 = tf.tensor4d(tb.x0, [count, h, w, c]);
      const eps = tf.tensor4d(tb.eps, [count, h, w, c]);
      const labels = base.config.conditional ? tf.tensor1d(tb.y, "int32") : undefined;
      const measured = yield* Effect.promise(() =>
        measureSensitivity(
          (x, t, y, hooks) => model.forward(x, t, y, hooks === undefined ? {} : { hooks }),
          config,
          adapterSites(config),
          { x0, eps, t: tb.t, labels },
          {
            schedule,
            target,
            perturbation: p.perturbation,
            raisedScale: p.raisedScale,
            adapter: { activation: p.activation, rank: p.rank },
            seed: deriveSeed(p.seed, "adapter"),
          },
        )
      );
      const weights = yield* Effect.promise(() => outputProjectionRms(model.params));
      tf.dispose([x0, eps, ...(labels ? [labels] : [])]);
      model.params.dispose();
      const quiet = measured.pairs.filter((r) => r.outputChange < 1e-3).length;
      yield* ctx.info(
        `base loss ${measured.baseLoss.toPrecision(4)}; ${quiet} of ${measured.pairs.length} ` +
          `fresh adapters change the output by < 0.1%`,
      );
      return {
        batch: count,
        baseLoss: measured.baseLoss,
        perturbation: p.perturbation,
        raisedScale: p.raisedScale,
        positions: measured.positions,
        pairs: measured.pairs,
        weights,
      };
    }),
});
