/** Conversions between a model's ParamStore snapshots and stored tensor maps. */
import type { TensorMap } from "../tensor/tensorMap.ts";
import type { ParamRecord } from "../models/params.ts";

export const toTensorMap = (record: ParamRecord): TensorMap =>
  Object.fromEntries(
    Object.entries(record).map(([k, s]) => [k, { shape: [...s.shape], data: s.data }]),
  );

export const toParamRecord = (map: TensorMap): ParamRecord => {
  const out: ParamRecord = {};
  for (const [k, t] of Object.entries(map)) {
    if (!(t.data instanceof Float32Array)) throw new Error(`parameter "${k}" is not float32`);
    out[k] = { shape: [...t.shape], data: t.data };
  }
  return out;
};

/** Splits a flat map with prefixed names (`params.x`, `ema.x`, `adamw.m.x`) by prefix. */
export const withPrefix = (map: TensorMap, prefix: string): TensorMap =>
  Object.fromEntries(
    Object.entries(map).filter(([k]) => k.startsWith(prefix)).map((
      [k, t],
    ) => [k.slice(prefix.length), t]),
  );

export const addPrefix = (map: TensorMap, prefix: string): TensorMap =>
  Object.fromEntries(Object.entries(map).map(([k, t]) => [`${prefix}${k}`, t]));
