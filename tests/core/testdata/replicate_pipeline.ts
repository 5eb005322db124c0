/**
 * A toy pipeline shaped like the studies, for the replicate tests: an unseeded dataset, a metric
 * network seeded from its derived seed (it does not take the replicate seed), and an init → train
 * → score chain that takes `trainSeed`, the pipeline's replicate seed. Nothing here runs.
 */
import * as v from "valibot";
import * as Effect from "effect/Effect";
import { defineStage } from "../../../src/core/stage.ts";
import { definePipeline } from "../../../src/core/pipeline.ts";
import { json } from "../../../src/core/codec.ts";

const stage = (
  name: string,
  params: v.GenericSchema,
  inputs: string[] | Record<string, "many">,
  seeded = true,
) =>
  defineStage({
    name,
    version: "1",
    module: import.meta.url,
    params,
    inputs,
    output: json(v.unknown()),
    seeded,
    // a number that differs between seeds, so the aggregates have spread
    run: (ctx) => Effect.succeed(name === "score" ? { score: (ctx.seed % 1000) / 10 } : 0),
  });

export const dataStage = stage("data", v.object({ n: v.number() }), [], false);
export const metricNetStage = stage("metric-net", v.object({ steps: v.number() }), ["data"]);
export const initStage = stage("init", v.object({ seed: v.number() }), ["data"]);
export const trainStage = stage(
  "train",
  v.object({ weighting: v.string(), seed: v.number() }),
  ["init", "data"],
);
export const scoreStage = stage("score", v.object({}), ["model", "net"]);
export const reportStage = stage(
  "report",
  v.object({ groups: v.array(v.string()) }),
  { arms: "many" },
  false,
);

export const replicatePipeline = definePipeline({
  name: "replicate-toy",
  module: import.meta.url,
  params: v.strictObject({
    weighting: v.optional(v.string(), "const"),
    trainSeed: v.optional(v.number(), 0),
    n: v.optional(v.number(), 10),
  }),
  build: (p, b) => {
    const data = b.stage(dataStage, { n: p.n }, {});
    const net = b.stage(metricNetStage, { steps: 3 }, { data });
    const init = b.stage(initStage, { seed: p.trainSeed }, { data });
    const model = b.stage(trainStage, { weighting: p.weighting, seed: p.trainSeed }, {
      init,
      data,
    });
    return { summary: b.stage(scoreStage, {}, { model, net }) };
  },
  aggregate: (arms, b) => {
    const inputs = Object.fromEntries(arms.map((a) => [a.id, a.outputs.summary!]));
    const groups = arms.map((a) => `${a.group}@${a.replicate}`);
    return { report: b.stage(reportStage, { groups }, { arms: inputs } as never) };
  },
  replicateSeed: "trainSeed",
});
