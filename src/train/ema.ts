/**
 * Exponential moving average of parameters, the weights diffusion models are sampled with.
 *
 * The decay warms up as min(decay, (1 + step) / (10 + step)) so that a short run's EMA is not
 * dominated by the random initialisation (the schedule diffusers and ADM use).
 */
import { tf } from "../tensor/tf.ts";
import { ParamStore } from "../models/params.ts";
import { captureStep } from "../engine/mod.ts";

export interface Ema {
  readonly params: ParamStore;
  update(step: number): void;
}

export const emaDecayAt = (decay: number, step: number) =>
  Math.min(decay, (1 + step) / (10 + step));

/** An EMA copy of `source` (same names); `update` blends the live values in. */
export const makeEma = (source: ParamStore, decay: number): Ema => {
  const params = source.clone();
  const names = source.names();
  // d and 1 − d enter as float32 scalars (rounded as constants would be), so that on the ort
  // engine the whole blend runs as one captured program
  const blend = captureStep((d: tf.Tensor, rest: tf.Tensor) => {
    for (const name of names) {
      const e = params.get(name);
      e.assign(tf.add(tf.mul(e, d), tf.mul(source.get(name), rest)));
    }
    return d;
  }, {
    key: `ema:${names.join(",")}`,
    state: () => [...names.map((n) => params.get(n)), ...names.map((n) => source.get(n))],
  });
  return {
    params,
    update: (step) => {
      const d = emaDecayAt(decay, step);
      tf.tidy(() => void blend(tf.scalar(d), tf.scalar(1 - d)));
    },
  };
};
