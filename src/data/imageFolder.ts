/**
 * Loads any folder of PNG, JPEG or WebP images into a `Dataset` through sharp (libvips): each
 * image is oriented by its EXIF tag, composited onto black if it has alpha, centre-cropped (a fixed
 * size such as CelebA's 140×140, or the largest centred square), resized to the target size, and
 * converted to grayscale or RGB.
 *
 * Files are found recursively (hidden files and folders skipped) and processed in sorted path order
 * (by UTF-16 code units, not locale), so the same folder always gives the same dataset. With
 * `labels: "subfolders"`, the first path component is the class; class indices follow the sorted
 * class names, and only folders holding at least one image become classes.
 *
 * Not here: augmentation, caching of decoded images, and any format sharp cannot decode.
 */
import sharp from "sharp";
import type { Dataset } from "./dataset.ts";
import { bytesToUnit } from "./dataset.ts";
import {
  DataOptionError,
  DataPermissionDenied,
  ImageFolderError,
  ImageReadError,
} from "./errors.ts";
import { probePath } from "./pathProbe.ts";
import * as fsys from "../platform/fs.ts";

/** File extensions loaded (case-insensitive). */
export const IMAGE_EXTENSIONS: readonly string[] = [".png", ".jpg", ".jpeg", ".webp"];

/** CelebA's customary centre crop (of the 178×218 aligned faces) before resizing to 64 or 32. */
export const CELEBA_CROP = { width: 140, height: 140 } as const;

export type ResizeKernel = "nearest" | "linear" | "cubic" | "mitchell" | "lanczos2" | "lanczos3";

export interface ImageTransform {
  /** Output size: a number for a square, or height and width. */
  readonly size: number | { readonly height: number; readonly width: number };
  /**
   * Centre crop applied before resizing: a fixed region (an image smaller than it is an error),
   * "square" for the largest centred square, or "none" (default). If the crop's aspect ratio
   * differs from the output's, the resize also centre-crops (sharp's `fit: "cover"`) rather than
   * stretch.
   */
  readonly crop?: { readonly width: number; readonly height: number } | "square" | "none";
  /** 1 = grayscale (luminance), 3 = RGB (default). */
  readonly channels?: 1 | 3;
  /** Resampling kernel (default "lanczos3"; "nearest" keeps exact pixel values). */
  readonly kernel?: ResizeKernel;
}

export interface ImageFolderOptions extends ImageTransform {
  /** "subfolders": class = first sub-folder name; "none" (default): unlabelled. */
  readonly labels?: "none" | "subfolders";
  /** Keep only the first `limit` files in sorted order. */
  readonly limit?: number;
  /** How many images are decoded at once (default 4). */
  readonly concurrency?: number;
}

/** One image file found in a folder. */
export interface ImageFile {
  readonly path: string;
  /** Path relative to the root, "/"-separated. */
  readonly relative: string;
  /** Class name (first sub-folder) when listing with labels, else null. */
  readonly className: string | null;
}

/** A decoded, transformed image: `height×width×channels` bytes. */
export interface RawImage {
  readonly data: Uint8Array;
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3;
}

const isImageName = (name: string): boolean => {
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((ext) => lower.endsWith(ext));
};

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function checkFolder(root: string): void {
  const kind = probePath(root);
  if (kind === "missing") throw new ImageFolderError(root, "does not exist");
  if (kind !== "directory") throw new ImageFolderError(root, "is not a directory");
}

function walk(root: string, relative: string, out: string[]): void {
  const dir = relative === "" ? root : `${root}/${relative}`;
  for (const entry of fsys.readDirSync(dir)) {
    if (entry.name.startsWith(".")) continue;
    const rel = relative === "" ? entry.name : `${relative}/${entry.name}`;
    let { isDirectory, isFile } = entry;
    if (entry.isSymlink) {
      const kind = probePath(`${root}/${rel}`);
      isDirectory = kind === "directory";
      isFile = kind === "file";
    }
    if (isDirectory) walk(root, rel, out);
    else if (isFile && isImageName(entry.name)) out.push(rel);
  }
}

/** Lists the image files under `root`, sorted; throws `ImageFolderError` if there are none. */
export function listImageFiles(
  root: string,
  labels: "none" | "subfolders" = "none",
): Promise<ImageFile[]> {
  return Promise.resolve().then(() => listImageFilesSync(root, labels));
}

/**
 * `listImageFiles`, synchronously (plan-time checks use it). Throws `ImageFolderError` for a
 * missing folder or one without images, `DataPermissionDenied` for one that cannot be read.
 */
export function listImageFilesSync(
  root: string,
  labels: "none" | "subfolders" = "none",
): ImageFile[] {
  checkFolder(root);
  const rels: string[] = [];
  try {
    walk(root.replace(/\/+$/, "") || "/", "", rels);
  } catch (e) {
    if (fsys.isSandboxDenied(e)) throw new DataPermissionDenied(root, "deno");
    if (fsys.isPermissionDenied(e)) throw new DataPermissionDenied(root, "os");
    throw e;
  }
  rels.sort(byCodeUnits);
  if (rels.length === 0) {
    throw new ImageFolderError(
      root,
      `contains no images (looked recursively for ${IMAGE_EXTENSIONS.join(", ")})`,
    );
  }
  const base = root.replace(/\/+$/, "");
  return rels.map((relative) => {
    const slash = relative.indexOf("/");
    if (labels === "subfolders" && slash < 0) {
      throw new ImageFolderError(
        root,
        `${relative} is not inside a class sub-folder (labels from sub-folders were requested)`,
      );
    }
    return {
      path: `${base}/${relative}`,
      relative,
      className: labels === "subfolders" ? relative.slice(0, slash) : null,
    };
  });
}

function outputSize(size: ImageTransform["size"]): { height: number; width: number } {
  const s = typeof size === "number" ? { height: size, width: size } : size;
  for (const [k, v] of Object.entries(s)) {
    if (!Number.isInteger(v) || v <= 0) {
      throw new DataOptionError(
        "image transform",
        `size.${k}`,
        `must be a positive integer, got ${v}`,
      );
    }
  }
  return s;
}

/**
 * Decodes one image file and applies `transform` (orient, flatten on black, centre crop, resize,
 * colour). Throws `ImageReadError` naming the path if it cannot be decoded or is too small for
 * the crop.
 */
export async function readImage(path: string, transform: ImageTransform): Promise<RawImage> {
  const { height, width } = outputSize(transform.size);
  const channels = transform.channels ?? 3;
  const crop = transform.crop ?? "none";
  try {
    const img = sharp(path, { autoOrient: true, failOn: "error" });
    const meta = await img.metadata();
    const w0 = meta.autoOrient?.width ?? meta.width;
    const h0 = meta.autoOrient?.height ?? meta.height;
    let region = { width: w0, height: h0 };
    if (crop === "square") {
      const side = Math.min(w0, h0);
      region = { width: side, height: side };
    } else if (crop !== "none") {
      if (crop.width > w0 || crop.height > h0) {
        throw new ImageReadError(
          path,
          `image is ${w0}×${h0}, smaller than the ${crop.width}×${crop.height} centre crop`,
        );
      }
      region = { width: crop.width, height: crop.height };
    }
    if (region.width !== w0 || region.height !== h0) {
      img.extract({
        left: Math.floor((w0 - region.width) / 2),
        top: Math.floor((h0 - region.height) / 2),
        width: region.width,
        height: region.height,
      });
    }
    img.resize(width, height, {
      fit: "cover",
      position: "centre",
      kernel: transform.kernel ?? "lanczos3",
    })
      .flatten({ background: "#000000" });
    if (channels === 1) img.grayscale();
    else img.toColourspace("srgb");
    const { data, info } = await img.raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return { data: toChannels(bytes, info.channels, channels, path), height, width, channels };
  } catch (e) {
    if (e instanceof ImageReadError) throw e;
    throw new ImageReadError(path, e instanceof Error ? e.message : String(e));
  }
}

/** Makes sure the pixel bytes have `want` channels (sharp may keep 1 band for gray input). */
function toChannels(bytes: Uint8Array, have: number, want: 1 | 3, path: string): Uint8Array {
  if (have === want) return bytes;
  if (have === 1 && want === 3) {
    const out = new Uint8Array(bytes.length * 3);
    for (let i = 0; i < bytes.length; i++) {
      out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = bytes[i] as number;
    }
    return out;
  }
  throw new ImageReadError(path, `decoded to ${have} channels, expected ${want}`);
}

/**
 * Loads every image under `root` as a `Dataset` of shape N×H×W×C in [-1, 1], in sorted path order.
 * `source` is `image-folder:<root>`.
 */
export async function loadImageFolder(root: string, options: ImageFolderOptions): Promise<Dataset> {
  const { height, width } = outputSize(options.size);
  const channels = options.channels ?? 3;
  const labelsMode = options.labels ?? "none";
  if (channels !== 1 && channels !== 3) {
    throw new DataOptionError("loadImageFolder", "channels", `must be 1 or 3, got ${channels}`);
  }
  if (labelsMode !== "none" && labelsMode !== "subfolders") {
    throw new DataOptionError(
      "loadImageFolder",
      "labels",
      `must be "none" or "subfolders", got "${labelsMode}"`,
    );
  }
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new DataOptionError(
      "loadImageFolder",
      "concurrency",
      `must be a positive integer, got ${concurrency}`,
    );
  }
  let files = await listImageFiles(root, labelsMode);
  if (options.limit !== undefined) {
    if (!Number.isInteger(options.limit) || options.limit < 0) {
      throw new DataOptionError(
        "loadImageFolder",
        "limit",
        `must be a non-negative integer, got ${options.limit}`,
      );
    }
    files = files.slice(0, options.limit);
  }
  const classNames = labelsMode === "subfolders"
    ? [...new Set(files.map((f) => f.className as string))].sort(byCodeUnits)
    : null;
  const classIndex = new Map(classNames?.map((name, i) => [name, i]) ?? []);
  const size = height * width * channels;
  const images = new Float32Array(files.length * size);
  const transform: ImageTransform = { ...options, size: { height, width }, channels };
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < files.length; i = next++) {
      try {
        const img = await readImage((files[i] as ImageFile).path, transform);
        bytesToUnit(img.data, images.subarray(i * size, (i + 1) * size));
      } catch (e) {
        next = files.length; // the other workers stop after their current image
        throw e;
      }
    }
  };
  // every worker is awaited before the first error is thrown: a read still running in sharp's
  // native code when the caller (or a test's isolate) goes away can crash the process
  const outcomes = await Promise.allSettled(
    Array.from({ length: Math.min(concurrency, files.length) }, worker),
  );
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
  if (failed) throw failed.reason;
  return {
    images,
    labels: classNames === null
      ? null
      : Int32Array.from(files, (f) => classIndex.get(f.className as string) as number),
    shape: { n: files.length, height, width, channels },
    classNames,
    source: `image-folder:${root}`,
  };
}
