import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { MalformedDataFile } from "../../src/data/errors.ts";
import {
  IDX_IMAGES_MAGIC,
  isGzip,
  parseIdx,
  readIdxFile,
  readIdxImages,
  readIdxLabels,
} from "../../src/data/idx.ts";
import { encodeIdx, writeIdxImages, writeIdxLabels } from "../../src/data/idxWrite.ts";
import { tempDir } from "./_helpers.ts";

const pixels = Uint8Array.from({ length: 3 * 2 * 4 }, (_, i) => (i * 37) % 256);
const images = { n: 3, height: 2, width: 4, pixels };

/** Asserts `fn` rejects with a MalformedDataFile whose message names `path` and matches `re`. */
async function rejectsMalformed(
  fn: () => Promise<unknown>,
  path: string,
  re: RegExp,
): Promise<void> {
  await assert.rejects(fn, (e: unknown) => {
    assert.ok(e instanceof MalformedDataFile, `expected MalformedDataFile, got ${e}`);
    assert.equal(e.path, path);
    assert.ok(e.message.startsWith(path), e.message);
    assert.match(e.message, re);
    return true;
  });
}

for (const gzip of [false, true]) {
  Deno.test(`readIdxImages() round-trips ${gzip ? "gzipped" : "plain"} images exactly`, async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const path = `${dir}/img`;
      await writeIdxImages(path, images, { gzip });
      assert.equal(isGzip(await Deno.readFile(path)), gzip);
      const back = await readIdxImages(path);
      assert.deepEqual([back.n, back.height, back.width], [3, 2, 4]);
      assert.deepEqual(back.pixels, pixels);
    } finally {
      await cleanup();
    }
  });

  Deno.test(`readIdxLabels() round-trips ${gzip ? "gzipped" : "plain"} labels`, async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await writeIdxLabels(`${dir}/lab`, [0, 9, 3, 255], { gzip });
      assert.deepEqual(await readIdxLabels(`${dir}/lab`), Int32Array.from([0, 9, 3, 255]));
    } finally {
      await cleanup();
    }
  });
}

Deno.test("readIdxFile() detects gzip by content, not by file name", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await Deno.writeFile(
      `${dir}/plain.gz`,
      encodeIdx({ dims: [2], data: Uint8Array.from([4, 5]) }),
    );
    await Deno.writeFile(
      `${dir}/packed`,
      encodeIdx({ dims: [2], data: Uint8Array.from([6, 7]) }, { gzip: true }),
    );
    assert.deepEqual((await readIdxFile(`${dir}/plain.gz`)).data, Uint8Array.from([4, 5]));
    assert.deepEqual((await readIdxFile(`${dir}/packed`)).data, Uint8Array.from([6, 7]));
  } finally {
    await cleanup();
  }
});

Deno.test("parseIdx() decodes big-endian int, float and double arrays", () => {
  const cases = [
    Int32Array.from([-5, 70000, 0, 2 ** 31 - 1]),
    Float32Array.from([0.5, -1.25, 3e-3, 1e6]),
    Float64Array.from([Math.PI, -Math.E, 1e-300, 0]),
    Int16Array.from([-32768, 1, 2, 32767]),
  ];
  for (const data of cases) {
    const idx = parseIdx(encodeIdx({ dims: [2, 2], data }), "mem");
    assert.deepEqual(idx.dims, [2, 2]);
    assert.deepEqual(idx.data, data);
  }
});

Deno.test("readIdxImages() rejects a bad magic number, naming the file", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const labels = `${dir}/labels-as-images`;
    await writeIdxLabels(labels, [1, 2, 3]);
    await rejectsMalformed(
      () => readIdxImages(labels),
      labels,
      /bad magic number 0x00000801 \(expected 0x00000803\)/,
    );
    const junk = `${dir}/junk`;
    await Deno.writeFile(junk, new TextEncoder().encode("<html>not found</html>"));
    await rejectsMalformed(() => readIdxImages(junk), junk, /bad magic number .*not an IDX file/);
  } finally {
    await cleanup();
  }
});

Deno.test("readIdxImages() rejects truncated data and headers, plain and gzipped", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const full = encodeIdx({ dims: [3, 2, 4], data: pixels });
    const cut = `${dir}/cut`;
    await Deno.writeFile(cut, full.subarray(0, full.length - 5));
    await rejectsMalformed(
      () => readIdxImages(cut),
      cut,
      /truncated: header says 3×2×4 unsigned byte values \(24 bytes\), file has 19 bytes/,
    );
    const header = `${dir}/header`;
    await Deno.writeFile(header, full.subarray(0, 10));
    await rejectsMalformed(() => readIdxImages(header), header, /truncated header/);
    const tiny = `${dir}/tiny`;
    await Deno.writeFile(tiny, full.subarray(0, 2));
    await rejectsMalformed(() => readIdxImages(tiny), tiny, /truncated: 2 bytes/);
    // A gzip stream cut short, and a complete gzip stream of truncated IDX data.
    const gz = encodeIdx({ dims: [3, 2, 4], data: pixels }, { gzip: true });
    const gzCut = `${dir}/cut.gz`;
    await Deno.writeFile(gzCut, gz.subarray(0, gz.length - 12));
    await rejectsMalformed(() => readIdxImages(gzCut), gzCut, /gzip data is corrupt or truncated/);
    const gzShort = `${dir}/short.gz`;
    await Deno.writeFile(gzShort, gzipSync(full.subarray(0, full.length - 1)));
    await rejectsMalformed(() => readIdxImages(gzShort), gzShort, /truncated: .*23 bytes of data/);
  } finally {
    await cleanup();
  }
});

Deno.test("readIdxImages() rejects trailing bytes as a size mismatch", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const full = encodeIdx({ dims: [3, 2, 4], data: pixels });
    const long = `${dir}/long`;
    await Deno.writeFile(long, Uint8Array.from([...full, 1, 2]));
    await rejectsMalformed(() => readIdxImages(long), long, /size mismatch: .* 2 extra bytes/);
  } finally {
    await cleanup();
  }
});

Deno.test("parseIdx() accepts any magic unless one is expected", () => {
  const bytes = encodeIdx({ dims: [1, 1, 1], data: Uint8Array.from([9]) });
  assert.equal(parseIdx(bytes, "mem", IDX_IMAGES_MAGIC).dims.length, 3);
  assert.throws(() => parseIdx(bytes, "mem", 0x801), /mem: bad magic number 0x00000803/);
});
