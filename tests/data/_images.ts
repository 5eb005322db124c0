/** Test fixtures written through sharp: small images of known pixels in any format. */
import sharp from "sharp";

/** Writes an RGB(A) or gray byte image to `path`; the format follows the extension. */
export async function writeImage(
  path: string,
  width: number,
  height: number,
  channels: 1 | 3 | 4,
  pixel: (x: number, y: number) => readonly number[],
): Promise<void> {
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(pixel(x, y), (y * width + x) * channels);
  }
  const img = sharp(data, { raw: { width, height, channels } });
  const lower = path.toLowerCase();
  const encoded = lower.endsWith(".png")
    ? img.png()
    : lower.endsWith(".webp")
    ? img.webp({ lossless: true })
    : img.jpeg({ quality: 100 });
  await encoded.toFile(path);
}
