/**
 * Colours: the categorical palette for series (Okabe–Ito, readable with colour-vision
 * deficiencies), dash patterns that keep series apart once the palette repeats, and continuous
 * colour maps for heat maps (viridis; RdBu for signed data). Pure functions, no drawing.
 */

/** Okabe–Ito, reordered so the low-contrast yellow comes last. */
export const PALETTE: readonly string[] = [
  "#0072B2", // blue
  "#D55E00", // vermillion
  "#009E73", // bluish green
  "#CC79A7", // reddish purple
  "#E69F00", // orange
  "#56B4E9", // sky blue
  "#000000", // black
  "#F0E442", // yellow
];

/** Dash pattern of a `dashed: true` series. */
export const DASHED = "6 4";

/** Pattern cycled in after each full round of the palette ("" = solid). */
const CYCLE_DASHES = ["", "2 3", "10 3 2 3", "10 5"];

/** Colour and dash pattern of the i-th series, unless the series sets its own. */
export const seriesStyle = (
  i: number,
  color?: string,
  dashed?: boolean,
): { color: string; dash: string | undefined } => {
  const round = Math.floor(i / PALETTE.length);
  const dash = dashed ? DASHED : CYCLE_DASHES[round % CYCLE_DASHES.length] || undefined;
  return { color: color ?? PALETTE[i % PALETTE.length]!, dash };
};

/**
 * Colour of the i-th of n ordered series (e.g. one curve per training step): dark purple to
 * green along viridis, stopping short of its pale yellow end.
 */
export const sequentialColor = (i: number, n: number): string =>
  colormap("viridis", n > 1 ? (0.85 * i) / (n - 1) : 0);

export type ColormapName = "viridis" | "rdbu";

// 11 evenly spaced samples of each map, interpolated linearly in sRGB.
const STOPS: Readonly<Record<ColormapName, readonly string[]>> = {
  // matplotlib's viridis
  viridis: [
    "#440154",
    "#482475",
    "#414487",
    "#355f8d",
    "#2a788e",
    "#21918c",
    "#22a884",
    "#44bf70",
    "#7ad151",
    "#bddf26",
    "#fde725",
  ],
  // ColorBrewer RdBu, red (low) → white (centre) → blue (high)
  rdbu: [
    "#67001f",
    "#b2182b",
    "#d6604d",
    "#f4a582",
    "#fddbc7",
    "#f7f7f7",
    "#d1e5f0",
    "#92c5de",
    "#4393c3",
    "#2166ac",
    "#053061",
  ],
};

export const COLORMAPS: readonly ColormapName[] = ["viridis", "rdbu"];

const rgb = (hex: string): [number, number, number] => {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
};

const hex = (c: readonly number[]): string =>
  `#${
    c.map((v) => Math.round(Math.min(255, Math.max(0, v))).toString(16).padStart(2, "0")).join("")
  }`;

/** The colour at position `t` ∈ [0, 1] of a map (clamped); `reverse` flips the map. */
export const colormap = (name: ColormapName, t: number, reverse = false): string => {
  const stops = STOPS[name];
  if (!stops) throw new RangeError(`unknown colour map "${name}"; known: ${COLORMAPS.join(", ")}`);
  const u = Math.min(1, Math.max(0, reverse ? 1 - t : t)) * (stops.length - 1);
  const i = Math.min(Math.floor(u), stops.length - 2);
  const a = rgb(stops[i]!), b = rgb(stops[i + 1]!);
  const f = u - i;
  return hex(a.map((v, k) => v + (b[k]! - v) * f));
};

/** Relative luminance (WCAG) of a "#rrggbb" colour, 0 (black) … 1 (white). */
export const luminance = (color: string): number => {
  const [r, g, b] = rgb(color).map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};

/** Black or white, whichever reads better on `background`. */
export const textColorOn = (background: string): string =>
  luminance(background) > 0.22 ? "#000000" : "#ffffff";
