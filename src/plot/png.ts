/** Rasterising an SVG to PNG with sharp (librsvg), so every plot has a PNG beside its SVG. */
import sharp from "sharp";

export const svgToPng = async (svg: string, path: string): Promise<void> => {
  await sharp(new TextEncoder().encode(svg), { density: 96 }).png().toFile(path);
};
