/**
 * Escaping for HTML reports. Every string that comes from a run directory (params, stage labels,
 * metric names, markdown, table cells) goes through one of these before it becomes markup, so a
 * param value like `<script>` shows as text and never runs.
 */

/** Text for element content and double- or single-quoted attribute values. */
export const escapeHtml = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");

/**
 * A relative URL for a path inside the run directory: each segment percent-encoded (labels hold
 * `=`, `,`, spaces and brackets), so the browser resolves it against the report's own location.
 */
export const relativeUrl = (segments: readonly string[]): string =>
  segments.map((s) => encodeURIComponent(s)).join("/");

/**
 * JSON for a `<script type="application/json">` block: `<` is written as `\u003c`, so no value
 * can close the script element early.
 */
export const jsonForScript = (value: unknown): string =>
  JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(
    /\u2029/g,
    "\\u2029",
  );

/**
 * An SVG file of a study inlined into the page. The project's plots never contain scripts, but
 * an artifact directory may hold any SVG, so scripts, event handlers, foreign objects and
 * external references are removed before inlining, and the XML prolog is dropped.
 */
export const sanitiseSvg = (svg: string): string =>
  svg
    .replace(/<\?xml[^>]*\?>/g, "")
    .replace(/<!DOCTYPE[^>]*>/gi, "")
    .replace(/<script[\s\S]*?<\/script\s*>/gi, "")
    .replace(/<script[^>]*\/>/gi, "")
    .replace(/<foreignObject[\s\S]*?<\/foreignObject\s*>/gi, "")
    .replace(/\son[a-z]+\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi, "")
    .replace(/\s(?:xlink:)?href\s*=\s*("(?!#)[^"]*"|'(?!#)[^']*')/gi, "")
    .trim();
