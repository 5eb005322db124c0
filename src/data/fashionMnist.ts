/**
 * Fashion-MNIST loader (Xiao, Rasul & Vollgraf 2017): 28×28 grayscale, 10 classes, 60 000 train
 * and 10 000 test images, stored as four IDX files.
 *
 * Where the files are: ONE directory, the first of these that is given: the directory passed
 * explicitly (a pipeline's `data.dir` param), else `$FASHION_MNIST_DIR`, else Debian's package
 * location `/usr/share/datasets/fashion-mnist/` (`apt-get install dataset-fashion-mnist`, which
 * installs `train-images-idx3-ubyte.gz` etc.). A location that is given but does not work is an
 * error naming where it came from; there is no silent fall-back to the next one. File names: the
 * standard `train-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`… or the dotted variant
 * `train-images.idx3-ubyte`, each optionally `.gz`.
 *
 * Nothing is downloaded. Parsing lives in `idx.ts`; this module only finds, checks and assembles.
 */
import { byteToUnit, type Dataset, padImages } from "./dataset.ts";
import {
  DataOptionError,
  DataPermissionDenied,
  DatasetNotFound,
  MalformedDataFile,
} from "./errors.ts";
import { readIdxImages, readIdxLabels } from "./idx.ts";
import { probePath } from "./pathProbe.ts";
import * as proc from "../platform/process.ts";

export const FASHION_MNIST_CLASSES: readonly string[] = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
];

/** Where Debian's `dataset-fashion-mnist` package puts the files. */
export const DEBIAN_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";
/** Environment variable naming a directory with the four IDX files. */
export const FASHION_MNIST_ENV = "FASHION_MNIST_DIR";

export const FASHION_MNIST_HINT = "To get the files: `apt-get install dataset-fashion-mnist` " +
  `(installs them in ${DEBIAN_FASHION_MNIST_DIR}), or put train-images-idx3-ubyte.gz, ` +
  "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz in a " +
  "directory and point the experiment's `data.dir` param or " +
  `${FASHION_MNIST_ENV}=<dir> at it.`;

export type FashionMnistSplit = "train" | "test";

export interface FashionMnistOptions {
  /** Directory given explicitly (a pipeline's `data.dir` param); wins over everything else. */
  readonly dir?: string;
  /** Default "train". */
  readonly split?: FashionMnistSplit;
  /** Keep only the first `limit` images (file order). */
  readonly limit?: number;
  /** Pad 28×28 → 32×32 with black (-1), e.g. for a UNet with three downsamplings. */
  readonly pad32?: boolean;
  /** Environment lookup (default the process environment; an unreadable variable counts as unset). */
  readonly env?: (name: string) => string | undefined;
  /** The system location searched last (default Debian's); tests point it elsewhere. */
  readonly systemDir?: string;
}

/** The one directory used and where it came from. */
export interface FashionMnistLocation {
  readonly dir: string;
  readonly origin: "data.dir" | typeof FASHION_MNIST_ENV | "system";
}

export interface FashionMnistFiles {
  readonly dir: string;
  readonly images: string;
  readonly labels: string;
}

const defaultEnv = (name: string): string | undefined => {
  try {
    return proc.envGet(name);
  } catch {
    return undefined; // no --allow-env: behave as if unset
  }
};

/** The directory to read (see the module header): explicit, else the variable, else Debian's. */
export function fashionMnistLocation(options: FashionMnistOptions = {}): FashionMnistLocation {
  if (options.dir !== undefined) return { dir: options.dir, origin: "data.dir" };
  const fromEnv = (options.env ?? defaultEnv)(FASHION_MNIST_ENV);
  if (fromEnv !== undefined && fromEnv !== "") return { dir: fromEnv, origin: FASHION_MNIST_ENV };
  return { dir: options.systemDir ?? DEBIAN_FASHION_MNIST_DIR, origin: "system" };
}

/** Accepted file names for one split and kind, in order of preference. */
export function fashionMnistFileNames(
  split: FashionMnistSplit,
  kind: "images" | "labels",
): string[] {
  const prefix = split === "train" ? "train" : "t10k";
  const suffix = kind === "images" ? "idx3-ubyte" : "idx1-ubyte";
  const bases = [`${prefix}-${kind}-${suffix}`, `${prefix}-${kind}.${suffix}`];
  return bases.flatMap((b) => [b, `${b}.gz`]);
}

const join = (dir: string, name: string): string =>
  dir.endsWith("/") ? dir + name : `${dir}/${name}`;

/**
 * Finds the image and label files of each of `splits` in the one location (synchronous stats,
 * so plan-time checks use it too). Throws `DatasetNotFound` naming the directory, where it came
 * from and what is missing there, or `DataPermissionDenied` when it cannot be read.
 */
export function findFashionMnistFiles(
  options: FashionMnistOptions = {},
  splits: readonly FashionMnistSplit[] = [options.split ?? "train"],
): Record<FashionMnistSplit, FashionMnistFiles | undefined> {
  const { dir, origin } = fashionMnistLocation(options);
  const from = origin === "system"
    ? "system location"
    : origin === "data.dir"
    ? "from the data.dir param"
    : `from ${origin}`;
  const place = `${dir} (${from})`;
  const fail = (problem: string): never => {
    const what = splits.length === 1 ? ` (${splits[0]} split)` : "";
    throw new DatasetNotFound(`Fashion-MNIST${what}`, [{ place, problem }], FASHION_MNIST_HINT);
  };
  let kind: ReturnType<typeof probePath>;
  try {
    kind = probePath(dir);
  } catch (e) {
    throw e instanceof DataPermissionDenied ? new DataPermissionDenied(dir, e.by, from) : e;
  }
  if (kind === "missing") fail("does not exist");
  if (kind !== "directory") fail("is not a directory");
  const out: Record<FashionMnistSplit, FashionMnistFiles | undefined> = {
    train: undefined,
    test: undefined,
  };
  const missing: string[] = [];
  for (const split of splits) {
    const found: Record<"images" | "labels", string | undefined> = {
      images: undefined,
      labels: undefined,
    };
    for (const k of ["images", "labels"] as const) {
      const names = fashionMnistFileNames(split, k);
      found[k] = names.map((n) => join(dir, n)).find((path) => probePath(path) === "file");
      if (found[k] === undefined) missing.push(`${names[0]}(.gz)`);
    }
    if (found.images !== undefined && found.labels !== undefined) {
      out[split] = { dir, images: found.images, labels: found.labels };
    }
  }
  if (missing.length > 0) fail(`no ${missing.join(", no ")}`);
  return out;
}

/**
 * Loads one split of Fashion-MNIST as a `Dataset` (N×28×28×1, or N×32×32×1 with `pad32`), pixels
 * scaled to [-1, 1] (0 → -1, 255 → 1), labels 0..9 with `FASHION_MNIST_CLASSES` as names.
 */
export async function loadFashionMnist(options: FashionMnistOptions = {}): Promise<Dataset> {
  const split = options.split ?? "train";
  if (split !== "train" && split !== "test") {
    throw new DataOptionError(
      "loadFashionMnist",
      "split",
      `must be "train" or "test", got "${split}"`,
    );
  }
  const limit = options.limit;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
    throw new DataOptionError(
      "loadFashionMnist",
      "limit",
      `must be a non-negative integer, got ${limit}`,
    );
  }
  const files = findFashionMnistFiles(options, [split])[split]!;
  const [images, labels] = await Promise.all([
    readIdxImages(files.images),
    readIdxLabels(files.labels),
  ]);
  if (images.n !== labels.length) {
    throw new MalformedDataFile(
      files.labels,
      `count mismatch: ${labels.length} labels, but ${files.images} holds ${images.n} images`,
    );
  }
  const k = FASHION_MNIST_CLASSES.length;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i] as number;
    if (l >= k) {
      throw new MalformedDataFile(files.labels, `label ${i} is ${l}, outside 0..${k - 1}`);
    }
  }
  const n = limit === undefined ? images.n : Math.min(limit, images.n);
  const size = images.height * images.width;
  const pixels = new Float32Array(n * size);
  for (let i = 0; i < pixels.length; i++) pixels[i] = byteToUnit(images.pixels[i] as number);
  const ds: Dataset = {
    images: pixels,
    labels: labels.slice(0, n),
    shape: { n, height: images.height, width: images.width, channels: 1 },
    classNames: FASHION_MNIST_CLASSES,
    source: `fashion-mnist:${split}:${files.images}${n < images.n ? `[:${n}]` : ""}`,
  };
  return options.pad32 ? padImages(ds, 32, 32, -1) : ds;
}
