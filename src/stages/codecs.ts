/**
 * Codecs for the diffusion library's artifacts: datasets (tensors + a JSON header) and models
 * (a JSON config + parameters and EMA parameters in safetensors).
 */
import * as v from "valibot";
import { join } from "node:path";
import { type Codec, CodecError } from "../core/codec.ts";
import { decodeSafetensors, encodeSafetensors } from "../tensor/safetensors.ts";
import type { TensorMap } from "../tensor/tensorMap.ts";
import type { Dataset } from "../data/dataset.ts";
import * as fsys from "../platform/fs.ts";

const readJson = async (path: string, codec: string): Promise<unknown> => {
  try {
    return JSON.parse(await fsys.readTextFile(path));
  } catch (e) {
    throw new CodecError(codec, path, e instanceof Error ? e.message : String(e));
  }
};
const readTensors = async (path: string) => decodeSafetensors(await fsys.readFile(path), path);

// -- datasets --------------------------------------------------------------------------------

/** A dataset split in two, as stored: train and test images in [-1, 1], NHWC. */
export interface DatasetSplits {
  readonly train: Dataset;
  readonly test: Dataset;
}

const DatasetHeader = v.strictObject({
  source: v.string(),
  classNames: v.nullable(v.array(v.string())),
  train: v.strictObject({
    n: v.number(),
    height: v.number(),
    width: v.number(),
    channels: v.number(),
    labelled: v.boolean(),
  }),
  test: v.strictObject({
    n: v.number(),
    height: v.number(),
    width: v.number(),
    channels: v.number(),
    labelled: v.boolean(),
  }),
});

export const datasetCodec: Codec<DatasetSplits> = {
  name: "dataset",
  write: async ({ train, test }, dir) => {
    const header = {
      source: train.source,
      classNames: train.classNames,
      train: { ...train.shape, labelled: train.labels !== null },
      test: { ...test.shape, labelled: test.labels !== null },
    };
    await fsys.writeTextFile(join(dir, "dataset.json"), JSON.stringify(header, null, 2) + "\n");
    const t: TensorMap = {
      "train.images": {
        shape: [train.shape.n, train.shape.height, train.shape.width, train.shape.channels],
        data: train.images,
      },
      "test.images": {
        shape: [test.shape.n, test.shape.height, test.shape.width, test.shape.channels],
        data: test.images,
      },
    };
    if (train.labels) t["train.labels"] = { shape: [train.shape.n], data: train.labels };
    if (test.labels) t["test.labels"] = { shape: [test.shape.n], data: test.labels };
    await fsys.writeFile(join(dir, "tensors.safetensors"), encodeSafetensors(t));
  },
  read: async (dir) => {
    const headerPath = join(dir, "dataset.json");
    const h = v.safeParse(DatasetHeader, await readJson(headerPath, "dataset"));
    if (!h.success) throw new CodecError("dataset", headerPath, v.summarize(h.issues));
    const t = await readTensors(join(dir, "tensors.safetensors"));
    const split = (name: "train" | "test"): Dataset => {
      const shape = h.output[name];
      const images = t[`${name}.images`];
      if (!images || !(images.data instanceof Float32Array)) {
        throw new CodecError("dataset", dir, `no float ${name}.images`);
      }
      const labels = t[`${name}.labels`];
      if (shape.labelled && (!labels || !(labels.data instanceof Int32Array))) {
        throw new CodecError("dataset", dir, `no int ${name}.labels`);
      }
      return {
        images: images.data,
        labels: shape.labelled ? labels!.data as Int32Array : null,
        shape: { n: shape.n, height: shape.height, width: shape.width, channels: shape.channels },
        classNames: h.output.classNames,
        source: h.output.source,
      };
    };
    return { train: split("train"), test: split("test") };
  },
};

// -- models ----------------------------------------------------------------------------------

/** A trained network: its config, parameters, optional EMA parameters, and facts about it. */
export interface ModelBundle<C> {
  readonly kind: string;
  readonly config: C;
  readonly params: TensorMap;
  readonly ema: TensorMap | null;
  /** Optimizer state, kept so that training can continue from this artifact. */
  readonly optimizer?: TensorMap | null;
  /** JSON facts: parameter count, accuracy, loss history… */
  readonly info: Record<string, unknown>;
}

const ModelHeader = v.strictObject({
  kind: v.string(),
  config: v.unknown(),
  info: v.record(v.string(), v.unknown()),
  hasEma: v.boolean(),
  hasOptimizer: v.optional(v.boolean(), false),
});

/** Models whose config is validated by `configSchema` on read. */
export const modelCodec = <S extends v.GenericSchema>(
  configSchema: S,
): Codec<ModelBundle<v.InferOutput<S>>> => ({
  name: "model",
  write: async (value, dir) => {
    const optimizer = value.optimizer ?? null;
    const header = {
      kind: value.kind,
      config: value.config,
      info: value.info,
      hasEma: value.ema !== null,
      hasOptimizer: optimizer !== null,
    };
    await fsys.writeTextFile(join(dir, "model.json"), JSON.stringify(header, null, 2) + "\n");
    await fsys.writeFile(join(dir, "params.safetensors"), encodeSafetensors(value.params));
    if (value.ema) await fsys.writeFile(join(dir, "ema.safetensors"), encodeSafetensors(value.ema));
    if (optimizer) {
      await fsys.writeFile(join(dir, "optimizer.safetensors"), encodeSafetensors(optimizer));
    }
  },
  read: async (dir) => {
    const path = join(dir, "model.json");
    const h = v.safeParse(ModelHeader, await readJson(path, "model"));
    if (!h.success) throw new CodecError("model", path, v.summarize(h.issues));
    const config = v.safeParse(configSchema, h.output.config);
    if (!config.success) {
      throw new CodecError("model", path, `config: ${v.summarize(config.issues)}`);
    }
    return {
      kind: h.output.kind,
      config: config.output,
      info: h.output.info,
      params: await readTensors(join(dir, "params.safetensors")),
      ema: h.output.hasEma ? await readTensors(join(dir, "ema.safetensors")) : null,
      optimizer: h.output.hasOptimizer
        ? await readTensors(join(dir, "optimizer.safetensors"))
        : null,
    };
  },
});

// -- JSON plus files -------------------------------------------------------------------------

/** A JSON record plus files the stage wrote into a directory (sample grids, plots). */
export interface WithFiles<A> {
  readonly data: A;
  readonly dir: string;
}

export const jsonWithFiles = <S extends v.GenericSchema>(
  schema: S,
): Codec<WithFiles<v.InferOutput<S>>> => ({
  name: "json+files",
  pathBacked: true,
  write: async (value, dir) => {
    const checked = v.safeParse(schema, value.data);
    if (!checked.success) throw new CodecError("json+files", "data", v.summarize(checked.issues));
    for await (const entry of fsys.readDir(value.dir)) {
      if (entry.name === "data.json") continue;
      await fsys.rename(join(value.dir, entry.name), join(dir, entry.name));
    }
    await fsys.writeTextFile(join(dir, "data.json"), JSON.stringify(value.data, null, 2) + "\n");
  },
  read: async (dir) => {
    const path = join(dir, "data.json");
    const checked = v.safeParse(schema, await readJson(path, "json+files"));
    if (!checked.success) throw new CodecError("json+files", path, v.summarize(checked.issues));
    return { data: checked.output, dir };
  },
});
