/**
 * Rasterising a chart's SVG to PNG with sharp (librsvg underneath), so every plot can have a
 * PNG beside its SVG. The PNG has the SVG's width × height in pixels, times `scale`.
 *
 * Needs sharp's native library: run with --allow-ffi --allow-env --allow-sys (and --allow-write
 * for `svgToPng`). Text renders with the first installed font of the chart's font-family list.
 */
import sharp from "sharp";

export interface PngOptions {
  /** Pixels per SVG px (2 for a crisp image on high-density screens). Default 1. */
  readonly scale?: number;
}

// librsvg maps 1 SVG px to 1 pixel at 72 dpi
const BASE_DENSITY = 72;

const density = (o: PngOptions): number => {
  const scale = o.scale ?? 1;
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new RangeError(`cannot rasterise at scale ${scale}: it must be a finite number > 0`);
  }
  return BASE_DENSITY * scale;
};

/** The PNG bytes of `svg`. */
export const svgToPngBytes = async (svg: string, o: PngOptions = {}): Promise<Uint8Array> => {
  const buf = await sharp(new TextEncoder().encode(svg), { density: density(o) }).png().toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
};

/** Write `svg` as a PNG at `path`; returns the image size in pixels. */
export const svgToPng = async (
  svg: string,
  path: string,
  o: PngOptions = {},
): Promise<{ width: number; height: number }> => {
  const info = await sharp(new TextEncoder().encode(svg), { density: density(o) }).png().toFile(
    path,
  );
  return { width: info.width, height: info.height };
};
