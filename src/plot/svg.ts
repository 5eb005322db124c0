/**
 * SVG string helpers shared by the charts: escaping, compact number output, element building,
 * text measurement (DejaVu Sans advance widths) and a deterministic id for clip paths/patterns.
 *
 * Does not lay anything out; the charts do that. Never writes a non-finite number: `num()` throws,
 * because a NaN in a coordinate means a chart forgot to filter its data (a bug, not bad input).
 */

export const FONT_FAMILY = "DejaVu Sans, Arial, sans-serif";

/** Escape text for element content and double-quoted attribute values. */
export const escapeXml = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");

/** A coordinate with at most `digits` decimals and no trailing zeros ("12.5", "3", "-0.25"). */
export const num = (x: number, digits = 2): string => {
  if (!Number.isFinite(x)) throw new RangeError(`cannot write the non-finite number ${x} into SVG`);
  const s = x.toFixed(digits);
  const t = s.includes(".") ? s.replace(/\.?0+$/, "") : s;
  return t === "-0" ? "0" : t;
};

export type AttrValue = string | number | boolean | undefined;
export type Attrs = Readonly<Record<string, AttrValue>>;

/** Attributes as ` a="1" b="x"`; `undefined`/`false` are left out, numbers go through `num()`. */
export const attrs = (a: Attrs): string =>
  Object.entries(a)
    .filter(([, v]) => v !== undefined && v !== false)
    .map(([k, v]) => ` ${k}="${typeof v === "number" ? num(v) : escapeXml(String(v))}"`)
    .join("");

/** An element; `content` is markup (already escaped). Without content it self-closes. */
export const el = (tag: string, a: Attrs = {}, content?: string): string =>
  content === undefined ? `<${tag}${attrs(a)}/>` : `<${tag}${attrs(a)}>${content}</${tag}>`;

/** A `<text>` element with escaped content. */
export const text = (x: number, y: number, s: string, a: Attrs = {}): string =>
  el("text", { x, y, ...a }, escapeXml(s));

/** A `<title>` child (browsers show it as a hover tooltip). */
export const tooltip = (s: string): string => el("title", {}, escapeXml(s));

// DejaVu Sans advance widths in hundredths of an em for ASCII 32..126 (read from the TTF's hmtx).
const ASCII_WIDTHS = [
  32,
  40,
  46,
  84,
  64,
  95,
  78,
  27,
  39,
  39,
  50,
  84,
  32,
  36,
  32,
  34,
  64,
  64,
  64,
  64,
  64,
  64,
  64,
  64,
  64,
  64,
  34,
  34,
  84,
  84,
  84,
  53,
  100,
  68,
  69,
  70,
  77,
  63,
  58,
  77,
  75,
  29,
  29,
  66,
  56,
  86,
  75,
  79,
  60,
  79,
  69,
  63,
  61,
  73,
  68,
  99,
  69,
  61,
  69,
  39,
  34,
  39,
  84,
  50,
  50,
  61,
  63,
  55,
  63,
  62,
  35,
  63,
  63,
  28,
  28,
  58,
  28,
  97,
  63,
  61,
  63,
  63,
  41,
  52,
  39,
  63,
  59,
  82,
  59,
  59,
  52,
  64,
  34,
  64,
  84,
];

/** Advance of one character, in hundredths of the font size. */
const charUnits = (ch: string): number => {
  const c = ch.codePointAt(0)!;
  if (c >= 0x300 && c <= 0x36f) return 0; // combining marks (x̂) take no advance
  return c >= 32 && c <= 126 ? ASCII_WIDTHS[c - 32]! : c >= 0x2000 && c <= 0x206f ? 100 : 70;
};

const unitsToPx = (units: number, size: number, bold: boolean) =>
  (units / 100) * size * (bold ? 1.1 : 1);

/** Estimated rendered width in px of `s` at `size` px (bold is ~10% wider). */
export const textWidth = (s: string, size: number, bold = false): number => {
  let w = 0;
  for (const ch of s) w += charUnits(ch);
  return unitsToPx(w, size, bold);
};

/**
 * `s`, cut with an ellipsis so it fits in `maxWidth` px: the longest prefix (at least one
 * character) that fits with the ellipsis. One pass over the characters (a legend of hundreds of
 * long names cuts each one).
 */
export const fitText = (s: string, maxWidth: number, size: number, bold = false): string => {
  if (textWidth(s, size, bold) <= maxWidth) return s;
  const chars = [...s];
  const ellipsis = charUnits("…");
  let units = 0;
  let keep = 1;
  for (let i = 0; i < chars.length; i++) {
    units += charUnits(chars[i]!);
    if (unitsToPx(units + ellipsis, size, bold) > maxWidth) break;
    keep = i + 1;
  }
  return `${chars.slice(0, keep).join("").trimEnd()}…`;
};

/** Word-wrap `s` into at most `maxLines` lines of `maxWidth` px; the last line is cut if needed. */
export const wrapText = (
  s: string,
  maxWidth: number,
  size: number,
  maxLines: number,
  bold = false,
): string[] => {
  const lines: string[] = [];
  let line = "";
  const words = s.split(/\s+/).filter((w) => w.length > 0);
  for (let i = 0; i < words.length; i++) {
    const next = line ? `${line} ${words[i]}` : words[i]!;
    if (textWidth(next, size, bold) <= maxWidth || !line) {
      line = next;
      continue;
    }
    if (lines.length === maxLines - 1) {
      return [...lines, fitText(`${line} ${words.slice(i).join(" ")}`, maxWidth, size, bold)];
    }
    lines.push(line);
    line = words[i]!;
  }
  if (line) lines.push(fitText(line, maxWidth, size, bold));
  return lines;
};

/** A short id derived from `content` (FNV-1a), so output is deterministic yet ids rarely clash. */
export const hashId = (prefix: string, content: string): string => {
  let h = 0x811c9dc5;
  for (let i = 0; i < content.length; i++) {
    h ^= content.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return `${prefix}-${(h >>> 0).toString(36)}`;
};

/** A complete, self-contained SVG document (white background, house font). */
export const svgDocument = (width: number, height: number, body: readonly string[]): string =>
  [
    `<svg xmlns="http://www.w3.org/2000/svg"${
      attrs({
        width,
        height,
        viewBox: `0 0 ${num(width)} ${num(height)}`,
        "font-family": FONT_FAMILY,
        "font-size": 12,
      })
    }>`,
    el("rect", { width, height, fill: "white" }),
    ...body,
    "</svg>",
  ].join("\n");

/** Title (bold, up to 2 lines) and subtitle (grey, up to 2 lines) centred; returns the y below. */
export const titleBlock = (
  width: number,
  title: string,
  subtitle: string | undefined,
  out: string[],
): number => {
  let y = 8;
  for (const line of wrapText(title, width - 24, 15, 2, true)) {
    y += 18;
    out.push(
      text(width / 2, y, line, { "text-anchor": "middle", "font-size": 15, "font-weight": "bold" }),
    );
  }
  for (const line of subtitle ? wrapText(subtitle, width - 24, 11, 2) : []) {
    y += 15;
    out.push(text(width / 2, y, line, { "text-anchor": "middle", "font-size": 11, fill: "#444" }));
  }
  return y + 12;
};
