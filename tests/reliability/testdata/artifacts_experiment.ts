/**
 * One toy stage per kind of artifact the real pipelines store: a JSON value (`value.json`), model
 * parameters (`params.safetensors`), a sample grid (`samples.png`) and a folder of files (a
 * classifier file plus a nested one), and a summary that reads all four. Deterministic, instant;
 * every execution appends its stage name to $DIFFRUN_TEST_COUNTER (when set).
 */
import * as v from "valibot";
import * as Effect from "effect/Effect";
import { join } from "node:path";
import { appendFileSync } from "node:fs";
import * as fsys from "../../../src/platform/fs.ts";
import { envGet } from "../../../src/platform/process.ts";
import { defineStage } from "../../../src/core/stage.ts";
import { definePipeline } from "../../../src/core/pipeline.ts";
import { defineExperiment } from "../../../src/core/experiment.ts";
import { type Codec, files, json } from "../../../src/core/codec.ts";
import { decodeSafetensors, encodeSafetensors } from "../../../src/tensor/safetensors.ts";
import type { TensorMap } from "../../../src/tensor/tensorMap.ts";

const countRun = (what: string) =>
  Effect.sync(() => {
    const path = envGet("DIFFRUN_TEST_COUNTER");
    if (path) appendFileSync(path, `${what}\n`);
  });

/** Parameters as the model stages store them: one `params.safetensors`. */
const params: Codec<TensorMap> = {
  name: "params",
  write: (value, dir) => fsys.writeFile(join(dir, "params.safetensors"), encodeSafetensors(value)),
  read: async (dir) => {
    const path = join(dir, "params.safetensors");
    return decodeSafetensors(await fsys.readFile(path), path);
  },
};

// The 8-byte PNG signature and an IHDR chunk: enough bytes to flip, no image library needed.
const PNG = Uint8Array.from([
  0x89,
  0x50,
  0x4e,
  0x47,
  0x0d,
  0x0a,
  0x1a,
  0x0a,
  0,
  0,
  0,
  13,
  0x49,
  0x48,
  0x44,
  0x52,
  0,
  0,
  0,
  4,
  0,
  0,
  0,
  4,
  8,
  0,
  0,
  0,
  0,
  0x3a,
  0x7e,
  0x9b,
  0x55,
]);

const value = defineStage({
  name: "value",
  version: "1",
  module: import.meta.url,
  params: v.object({ n: v.number() }),
  inputs: [],
  output: json(v.object({ fdClf: v.number() })),
  seeded: false,
  run: (_ctx, p) => countRun("value").pipe(Effect.as({ fdClf: p.n * 1.5 })),
});

const weights = defineStage({
  name: "weights",
  version: "1",
  module: import.meta.url,
  params: v.object({ n: v.number() }),
  inputs: [],
  output: params,
  seeded: false,
  run: (_ctx, p) =>
    countRun("weights").pipe(
      Effect.as({
        w: { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, p.n]) },
        b: { shape: [3], data: Float32Array.from([0.5, -0.5, p.n]) },
      }),
    ),
});

const samples = defineStage({
  name: "samples",
  version: "1",
  module: import.meta.url,
  params: v.object({}),
  inputs: [],
  output: files,
  seeded: false,
  run: (ctx) =>
    countRun("samples").pipe(
      Effect.andThen(
        Effect.promise(() => fsys.writeFile(join(ctx.scratchDir, "samples.png"), PNG)),
      ),
      Effect.as({ dir: ctx.scratchDir }),
    ),
});

const classifier = defineStage({
  name: "classifier",
  version: "1",
  module: import.meta.url,
  params: v.object({}),
  inputs: [],
  output: files,
  seeded: false,
  run: (ctx) =>
    countRun("classifier").pipe(
      Effect.andThen(Effect.promise(async () => {
        await fsys.writeTextFile(join(ctx.scratchDir, "classifier.onnx"), "0123456789abcdef");
        await fsys.mkdir(join(ctx.scratchDir, "labels"));
        await fsys.writeTextFile(join(ctx.scratchDir, "labels", "names.txt"), "a\nb\n");
      })),
      Effect.as({ dir: ctx.scratchDir }),
    ),
});

const summary = defineStage({
  name: "summary",
  version: "1",
  module: import.meta.url,
  params: v.object({}),
  inputs: ["value", "weights", "samples", "classifier"],
  output: json(v.record(v.string(), v.number())),
  seeded: false,
  run: (
    _ctx,
    _p,
    i: {
      value: { fdClf: number };
      weights: TensorMap;
      samples: { dir: string };
      classifier: { dir: string };
    },
  ) =>
    Effect.gen(function* () {
      yield* countRun("summary");
      const png = yield* Effect.promise(() => fsys.readFile(join(i.samples.dir, "samples.png")));
      const clf = yield* Effect.promise(() =>
        fsys.readTextFile(join(i.classifier.dir, "classifier.onnx"))
      );
      return {
        fdClf: i.value.fdClf,
        weightSum: [...i.weights.w!.data].reduce((a, b) => a + b, 0),
        pngBytes: png.length,
        classifierBytes: clf.length,
      };
    }),
});

export const artifactsPipeline = definePipeline({
  name: "artifacts",
  module: import.meta.url,
  params: v.strictObject({ n: v.optional(v.number(), 2) }),
  build: (p, b) => {
    const val = b.stage(value, { n: p.n }, {});
    const w = b.stage(weights, { n: p.n }, {});
    const s = b.stage(samples, {}, {});
    const c = b.stage(classifier, {}, {});
    return { summary: b.stage(summary, {}, { value: val, weights: w, samples: s, classifier: c }) };
  },
});

export default defineExperiment({
  name: "artifacts",
  pipeline: artifactsPipeline,
  seed: 1,
  backend: "none",
});
