/**
 * A built-in procedural dataset that needs no download: one coloured shape per image on a dark
 * background, the class being the shape kind (circle, square, triangle, cross, ring, diamond).
 * Colour, size, position and a small rotation vary at random, so a small diffusion model has
 * something to learn, yet samples are easy to judge by eye.
 *
 * Deterministic and prefix-stable: image i depends only on (seed, i, size, channels, kinds); its
 * label is `i mod K`, so classes are balanced to within one image and the first m images of an
 * n-image dataset equal the m-image dataset. Shapes are drawn from signed distance functions with
 * one pixel of anti-aliasing. Pure computation, no I/O; thousands of 32-px images per second.
 */
import type { Dataset } from "./dataset.ts";
import { DataOptionError } from "./errors.ts";
import { Rng } from "./rng.ts";

export const SHAPE_KINDS = ["circle", "square", "triangle", "cross", "ring", "diamond"] as const;
export type ShapeKind = (typeof SHAPE_KINDS)[number];

export interface ShapesOptions {
  /** Number of images. */
  readonly n: number;
  /** Non-negative integer seed. */
  readonly seed: number;
  /** Side in pixels, 8..128 (default 32; 16–32 is the intended range). */
  readonly size?: number;
  /** 3 = RGB (default), 1 = grayscale. */
  readonly channels?: 1 | 3;
  /** The classes, in label order (default all of `SHAPE_KINDS`). */
  readonly kinds?: readonly ShapeKind[];
}

/** The random parameters of one image, in pixels and [0, 1] colour units. */
export interface ShapeParams {
  readonly kind: ShapeKind;
  readonly cx: number;
  readonly cy: number;
  /** Outer radius: the shape fits in a circle of this radius around (cx, cy). */
  readonly radius: number;
  /** Rotation in radians (small; none for circle and ring). */
  readonly angle: number;
  /** Relative stroke width for cross and ring, in (0, 1). */
  readonly thickness: number;
  readonly foreground: readonly [number, number, number];
  readonly background: readonly [number, number, number];
}

/** HSV (all in [0, 1]) → RGB in [0, 1]. */
function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const f = (k: number): number => {
    const m = (k + h * 6) % 6;
    return v - v * s * Math.max(0, Math.min(m, 4 - m, 1));
  };
  return [f(5), f(3), f(1)];
}

/** Draws the parameters of image `index` (the label is chosen by the caller). */
export function drawShapeParams(
  seed: number,
  index: number,
  kind: ShapeKind,
  size: number,
  channels: 1 | 3,
): ShapeParams {
  const rng = new Rng(seed, index);
  const radius = size * rng.uniform(0.2, 0.4);
  const margin = radius + 1;
  const cx = rng.uniform(margin, size - margin);
  const cy = rng.uniform(margin, size - margin);
  const rotates = kind !== "circle" && kind !== "ring";
  const angleDraw = rng.uniform(-0.3, 0.3); // drawn for every kind to keep streams aligned
  const angle = rotates ? angleDraw : 0;
  const thickness = rng.uniform(0.22, 0.36);
  let foreground: [number, number, number];
  let background: [number, number, number];
  if (channels === 3) {
    foreground = hsvToRgb(rng.nextFloat(), rng.uniform(0.55, 1), rng.uniform(0.75, 1));
    background = hsvToRgb(rng.nextFloat(), rng.uniform(0, 0.5), rng.uniform(0, 0.25));
  } else {
    const fg = rng.uniform(0.6, 1);
    const bg = rng.uniform(0, 0.25);
    foreground = [fg, fg, fg];
    background = [bg, bg, bg];
  }
  return { kind, cx, cy, radius, angle, thickness, foreground, background };
}

const box = (x: number, y: number, hx: number, hy: number): number =>
  Math.max(Math.abs(x) - hx, Math.abs(y) - hy);

/** Signed distance (pixels; negative inside) from local point (x, y) to the shape. y points down. */
function signedDistance(p: ShapeParams, x: number, y: number): number {
  const r = p.radius;
  switch (p.kind) {
    case "circle":
      return Math.hypot(x, y) - r * 0.85;
    case "square":
      return box(x, y, r * 0.7, r * 0.7);
    case "triangle": {
      // Equilateral, apex up, circumradius R = 0.87 r (corners stay inside r); the centroid sits
      // R/4 below the origin so that the bounding box is centred.
      const R = r * 0.87;
      const ty = y - R * 0.25;
      const d1 = ty; // bottom edge, normal (0, 1)
      const d2 = 0.8660254 * x - 0.5 * ty;
      const d3 = -0.8660254 * x - 0.5 * ty;
      return Math.max(d1, d2, d3) - R * 0.5;
    }
    case "cross": {
      const t = r * p.thickness;
      const a = r * 0.94;
      return Math.min(box(x, y, a, t), box(x, y, t, a));
    }
    case "ring":
      return Math.abs(Math.hypot(x, y) - r * (1 - p.thickness * 0.5)) - r * p.thickness * 0.5;
    case "diamond":
      return (Math.abs(x) + Math.abs(y) - r) * 0.70710678;
  }
}

/**
 * Renders one image into `out` (size×size×channels values in [-1, 1]) from its parameters.
 * Pixels are covered by `clamp(0.5 - distance, 0, 1)`: one pixel of anti-aliasing.
 */
export function renderShape(
  p: ShapeParams,
  size: number,
  channels: 1 | 3,
  out: Float32Array,
): void {
  const cos = Math.cos(p.angle);
  const sin = Math.sin(p.angle);
  const [fr, fg, fb] = p.foreground;
  const [br, bg, bb] = p.background;
  for (let py = 0; py < size; py++) {
    const dy = py + 0.5 - p.cy;
    for (let px = 0; px < size; px++) {
      const dx = px + 0.5 - p.cx;
      const cover = Math.min(
        1,
        Math.max(0, 0.5 - signedDistance(p, cos * dx + sin * dy, cos * dy - sin * dx)),
      );
      const at = (py * size + px) * channels;
      out[at] = 2 * (br + cover * (fr - br)) - 1;
      if (channels === 3) {
        out[at + 1] = 2 * (bg + cover * (fg - bg)) - 1;
        out[at + 2] = 2 * (bb + cover * (fb - bb)) - 1;
      }
    }
  }
}

/** Generates the shapes dataset (see the module header). `source` records every option. */
export function generateShapes(options: ShapesOptions): Dataset {
  const { n, seed } = options;
  const size = options.size ?? 32;
  const channels = options.channels ?? 3;
  const kinds = options.kinds ?? SHAPE_KINDS;
  const fail = (option: string, reason: string): never => {
    throw new DataOptionError("generateShapes", option, reason);
  };
  if (!Number.isInteger(n) || n < 0) fail("n", `must be a non-negative integer, got ${n}`);
  if (!Number.isSafeInteger(seed) || seed < 0) {
    fail("seed", `must be a non-negative integer, got ${seed}`);
  }
  if (!Number.isInteger(size) || size < 8 || size > 128) {
    fail("size", `must be an integer in 8..128, got ${size}`);
  }
  if (channels !== 1 && channels !== 3) fail("channels", `must be 1 or 3, got ${channels}`);
  if (kinds.length === 0) fail("kinds", "must name at least one shape");
  for (const k of kinds) {
    if (!SHAPE_KINDS.includes(k)) {
      fail("kinds", `has unknown shape "${k}" (known: ${SHAPE_KINDS.join(", ")})`);
    }
  }
  if (new Set(kinds).size !== kinds.length) fail("kinds", "lists a shape twice");

  const stride = size * size * channels;
  const images = new Float32Array(n * stride);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % kinds.length;
    labels[i] = label;
    const params = drawShapeParams(seed, i, kinds[label] as ShapeKind, size, channels);
    renderShape(params, size, channels, images.subarray(i * stride, (i + 1) * stride));
  }
  return {
    images,
    labels,
    shape: { n, height: size, width: size, channels },
    classNames: [...kinds],
    source: `shapes:seed=${seed}:size=${size}:channels=${channels}:kinds=${kinds.join(",")}`,
  };
}
