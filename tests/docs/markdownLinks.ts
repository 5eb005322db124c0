/**
 * Reading links and headings out of markdown, for the documentation link test: inline links and
 * images `[text](target)` outside fenced code blocks and code spans, and the anchors GitHub gives
 * headings. No markdown library: the project's docs use only these forms.
 */

/** One link: its target as written, and the 1-based line it is on. */
export interface MarkdownLink {
  readonly target: string;
  readonly line: number;
}

/** Removes code spans (`…`) from a line, so that links shown as code are not checked. */
const withoutCodeSpans = (line: string): string => line.replace(/`+[^`]*`+/g, "");

/** `[text](target)` or `![alt](target "title")`; the target may be written `<…>`. */
const LINK = /!?\[[^\]]*\]\((<[^>]*>|[^)\s]*)(?:\s+"[^"]*")?\)/g;

/** Inline links and images outside fenced code, with `<…>` and a trailing `"title"` removed. */
export function markdownLinks(text: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  let fenced = false;
  text.split("\n").forEach((raw, i) => {
    if (/^\s*(```|~~~)/.test(raw)) {
      fenced = !fenced;
      return;
    }
    if (fenced) return;
    for (const m of withoutCodeSpans(raw).matchAll(LINK)) {
      const target = m[1]!.replace(/^<(.*)>$/, "$1");
      links.push({ target, line: i + 1 });
    }
  });
  return links;
}

/** GitHub's anchor of a heading's text: lower case, punctuation dropped, spaces as hyphens. */
export function headingSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, "")
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The anchors of every ATX heading outside fenced code; repeated headings get -1, -2, … */
export function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of text.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      continue;
    }
    const m = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const slug = headingSlug(m[1]!);
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** True for targets that leave the repository (a URL scheme such as https: or mailto:). */
export const isExternal = (target: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(target);
