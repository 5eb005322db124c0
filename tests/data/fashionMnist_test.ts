import assert from "node:assert/strict";
import { DataPermissionDenied, DatasetNotFound, MalformedDataFile } from "../../src/data/errors.ts";
import {
  DEBIAN_FASHION_MNIST_DIR,
  FASHION_MNIST_CLASSES,
  fashionMnistLocation,
  loadFashionMnist,
} from "../../src/data/fashionMnist.ts";
import { writeIdxImages, writeIdxLabels } from "../../src/data/idxWrite.ts";
import { tempDir, u } from "./_helpers.ts";

const N = 5;
const pixelsOf = (seed: number): Uint8Array =>
  Uint8Array.from({ length: N * 28 * 28 }, (_, i) => (i * 7 + seed) % 256);
const LABELS = [3, 0, 9, 9, 1];
const noEnv = (): undefined => undefined;

/** Writes a fixture split; `names` picks the standard or dotted file names. */
async function writeSplit(
  dir: string,
  split: "train" | "t10k",
  opts: { gzip?: boolean; dotted?: boolean; labels?: number[]; seed?: number } = {},
): Promise<void> {
  const sep = opts.dotted ? "." : "-";
  const gz = opts.gzip ? ".gz" : "";
  const gzip = opts.gzip ?? false;
  await writeIdxImages(`${dir}/${split}-images${sep}idx3-ubyte${gz}`, {
    n: N,
    height: 28,
    width: 28,
    pixels: pixelsOf(opts.seed ?? 0),
  }, { gzip });
  await writeIdxLabels(`${dir}/${split}-labels${sep}idx1-ubyte${gz}`, opts.labels ?? LABELS, {
    gzip,
  });
}

for (const variant of [{ gzip: true }, { gzip: false }, { gzip: true, dotted: true }]) {
  Deno.test(`loadFashionMnist() reads ${JSON.stringify(variant)} files with exact [-1, 1] scaling`, async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await writeSplit(dir, "train", variant);
      const ds = await loadFashionMnist({ dir, env: noEnv });
      assert.deepEqual(ds.shape, { n: N, height: 28, width: 28, channels: 1 });
      assert.deepEqual(ds.labels, Int32Array.from(LABELS));
      assert.deepEqual(ds.classNames, FASHION_MNIST_CLASSES);
      const px = pixelsOf(0);
      assert.deepEqual(ds.images, Float32Array.from(px, u));
      // Byte 0 maps to -1 and 255 to 1 exactly.
      assert.equal(ds.images[px.indexOf(0)], -1);
      assert.equal(ds.images[px.indexOf(255)], 1);
      assert.match(ds.source, /^fashion-mnist:train:/);
    } finally {
      await cleanup();
    }
  });
}

Deno.test("loadFashionMnist() reads the t10k files for split test, with limit and pad32", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await writeSplit(dir, "train", { gzip: true, seed: 0 });
    await writeSplit(dir, "t10k", { gzip: true, seed: 100, labels: [2, 4, 6, 8, 5] });
    const ds = await loadFashionMnist({ dir, split: "test", limit: 2, pad32: true, env: noEnv });
    assert.deepEqual(ds.shape, { n: 2, height: 32, width: 32, channels: 1 });
    assert.deepEqual(ds.labels, Int32Array.from([2, 4]));
    const px = pixelsOf(100);
    // Image 1, source pixel (y=5, x=7) lands at (7, 9) after a 2-pixel pad; borders are -1.
    assert.equal(ds.images[32 * 32 + 7 * 32 + 9], u(px[28 * 28 + 5 * 28 + 7] as number));
    assert.equal(ds.images[32 * 32 + 0], -1);
    assert.equal(ds.images[32 * 32 + 31 * 32 + 31], -1);
    assert.match(ds.source, /t10k-images-idx3-ubyte\.gz\[:2\]$/);
  } finally {
    await cleanup();
  }
});

Deno.test("loadFashionMnist() uses $FASHION_MNIST_DIR when no directory is given", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await writeSplit(dir, "train");
    const env = (name: string) => (name === "FASHION_MNIST_DIR" ? dir : undefined);
    const ds = await loadFashionMnist({ env, systemDir: `${dir}/nowhere` });
    assert.equal(ds.shape.n, N);
    assert.deepEqual(fashionMnistLocation({ env, systemDir: "/sys" }), {
      dir,
      origin: "FASHION_MNIST_DIR",
    });
    assert.deepEqual(fashionMnistLocation({ dir: "/x", env }), { dir: "/x", origin: "data.dir" });
    assert.deepEqual(fashionMnistLocation({ env: noEnv }), {
      dir: DEBIAN_FASHION_MNIST_DIR,
      origin: "system",
    });
  } finally {
    await cleanup();
  }
});

Deno.test("loadFashionMnist() with $FASHION_MNIST_DIR set to a missing folder fails naming it, never falling back", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await writeSplit(dir, "train"); // a working "system" location that must NOT be used
    const missing = `${dir}/nonexistent`;
    const env = (name: string) => (name === "FASHION_MNIST_DIR" ? missing : undefined);
    await assert.rejects(
      () => loadFashionMnist({ env, systemDir: dir }),
      (e: unknown) => {
        assert.ok(e instanceof DatasetNotFound);
        assert.deepEqual(e.searched, [{
          place: `${missing} (from FASHION_MNIST_DIR)`,
          problem: "does not exist",
        }]);
        return true;
      },
    );
  } finally {
    await cleanup();
  }
});

Deno.test({
  name: "loadFashionMnist() names the variable of a location outside Deno's read permission",
  permissions: { read: ["/tmp"], env: true },
  fn: async () => {
    const env = (name: string) => (name === "FASHION_MNIST_DIR" ? "/nonexistent" : undefined);
    await assert.rejects(() => loadFashionMnist({ env }), (e: unknown) => {
      assert.ok(e instanceof DataPermissionDenied);
      assert.match(
        e.message,
        /cannot read \/nonexistent \(from FASHION_MNIST_DIR\): it is outside Deno's read permission/,
      );
      return true;
    });
  },
});

Deno.test("loadFashionMnist() names the place it looked, what is missing, and how to get the files", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await Deno.mkdir(`${dir}/empty`);
    await writeIdxImages(`${dir}/empty/train-images-idx3-ubyte.gz`, {
      n: 0,
      height: 28,
      width: 28,
      pixels: new Uint8Array(0),
    });
    const env = (name: string) => (name === "FASHION_MNIST_DIR" ? `${dir}/empty` : undefined);
    await assert.rejects(
      () => loadFashionMnist({ env, systemDir: `${dir}/missing` }),
      (e: unknown) => {
        assert.ok(e instanceof DatasetNotFound);
        assert.equal(e.searched.length, 1);
        assert.match(
          e.message,
          new RegExp(
            `${dir}/empty \\(from FASHION_MNIST_DIR\\): no train-labels-idx1-ubyte\\(\\.gz\\)`,
          ),
        );
        assert.match(e.message, /apt-get install dataset-fashion-mnist/);
        // the hint names what exists: the data.dir param and the variable, not a --data flag
        assert.match(e.message, /`data\.dir` param/);
        assert.match(e.message, /FASHION_MNIST_DIR=<dir>/);
        assert.doesNotMatch(e.message, /--data/);
        return true;
      },
    );
    // With no variable, the system location is the place, and it is reported as such.
    await assert.rejects(
      () => loadFashionMnist({ env: noEnv, systemDir: `${dir}/missing` }),
      new RegExp(`${dir}/missing \\(system location\\): does not exist`),
    );
    // An explicit directory wins over the variable.
    await assert.rejects(
      () => loadFashionMnist({ dir: `${dir}/given`, env, split: "test" }),
      (e: unknown) => {
        assert.ok(e instanceof DatasetNotFound);
        assert.deepEqual(e.searched, [{
          place: `${dir}/given (from the data.dir param)`,
          problem: "does not exist",
        }]);
        assert.match(e.message, /Fashion-MNIST \(test split\)/);
        return true;
      },
    );
  } finally {
    await cleanup();
  }
});

Deno.test("loadFashionMnist() rejects a label/image count mismatch and out-of-range labels", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await writeSplit(dir, "train", { labels: [1, 2, 3] });
    const labels = `${dir}/train-labels-idx1-ubyte`;
    await assert.rejects(() => loadFashionMnist({ dir, env: noEnv }), (e: unknown) => {
      assert.ok(e instanceof MalformedDataFile);
      assert.equal(e.path, labels);
      assert.match(
        e.message,
        /count mismatch: 3 labels, but .*train-images-idx3-ubyte holds 5 images/,
      );
      return true;
    });
    await writeSplit(dir, "train", { labels: [1, 2, 3, 10, 0] });
    await assert.rejects(
      () => loadFashionMnist({ dir, env: noEnv }),
      /train-labels-idx1-ubyte: label 3 is 10, outside 0\.\.9/,
    );
  } finally {
    await cleanup();
  }
});

Deno.test("loadFashionMnist() names a malformed file found in the data directory", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await writeSplit(dir, "train", { gzip: true });
    const images = `${dir}/train-images-idx3-ubyte.gz`;
    const bytes = await Deno.readFile(images);
    await Deno.writeFile(images, bytes.subarray(0, bytes.length >> 1));
    await assert.rejects(() => loadFashionMnist({ dir, env: noEnv }), (e: unknown) => {
      assert.ok(e instanceof MalformedDataFile);
      assert.equal(e.path, images);
      return true;
    });
  } finally {
    await cleanup();
  }
});

const debianTrain = `${DEBIAN_FASHION_MNIST_DIR}/train-images-idx3-ubyte.gz`;
const haveDebian = (() => {
  try {
    return Deno.statSync(debianTrain).isFile;
  } catch {
    return false;
  }
})();
if (!haveDebian) {
  console.warn(
    `skipping the real Fashion-MNIST test: ${debianTrain} not found ` +
      "(apt-get install dataset-fashion-mnist)",
  );
}

Deno.test({
  name: "loadFashionMnist() loads the real Debian train set: 60000×28×28, 10 classes",
  ignore: !haveDebian,
  fn: async () => {
    const ds = await loadFashionMnist({ dir: DEBIAN_FASHION_MNIST_DIR });
    assert.deepEqual(ds.shape, { n: 60000, height: 28, width: 28, channels: 1 });
    const counts = new Array<number>(10).fill(0);
    for (const l of ds.labels ?? []) counts[l] = (counts[l] ?? 0) + 1;
    assert.deepEqual(counts, new Array(10).fill(6000));
    let min = Infinity;
    let max = -Infinity;
    for (const v of ds.images) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    assert.deepEqual([min, max], [-1, 1]);
  },
});
