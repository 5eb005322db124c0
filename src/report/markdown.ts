/**
 * A small Markdown subset to HTML, enough for the studies' report.md: headings, paragraphs,
 * bullet lists, pipe tables, fenced code, `code`, **bold**, *italic*, links and images.
 *
 * Everything is escaped first and markup is added afterwards, so raw HTML in a report.md shows as
 * text. Links and images keep only relative paths (resolved against `base`, the artifact
 * directory's URL) and http(s) links: no `javascript:` URLs, no remote images (a report makes no
 * network requests).
 */
import { escapeHtml } from "./escape.ts";
import { renderTable } from "./tables.ts";

const isRelative = (url: string) => !/^[a-z][a-z0-9+.-]*:/i.test(url) && !url.startsWith("//");

const resolveUrl = (url: string, base: string) =>
  base === "" || url.startsWith("#") ? url : `${base.replace(/\/$/, "")}/${url}`;

/** Inline markup of one line of already-escaped text. */
const inline = (escaped: string, base: string): string =>
  escaped
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/!\[([^\]]*)\]\(([^)\s]+)\)/g, (_m, alt: string, url: string) => {
      const raw = url.replace(/&amp;/g, "&");
      return isRelative(raw) ? `<img alt="${alt}" src="${resolveUrl(url, base)}">` : alt;
    })
    .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_m, label: string, url: string) => {
      const raw = url.replace(/&amp;/g, "&");
      if (isRelative(raw)) return `<a href="${resolveUrl(url, base)}">${label}</a>`;
      return /^https?:\/\//i.test(raw) ? `<a href="${url}" rel="noreferrer">${label}</a>` : label;
    })
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
    .replace(/(^|[\s(])\*([^*\s][^*]*)\*/g, "$1<em>$2</em>");

const tableCells = (line: string) =>
  line.trim().replace(/^\|/, "").replace(/\|$/, "").split("|").map((c) => c.trim());

/** Markdown to HTML; `base` is the URL prefix for relative links and images. */
export const markdownToHtml = (md: string, base = ""): string => {
  const lines = md.replace(/\r\n/g, "\n").split("\n");
  const out: string[] = [];
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length) out.push(`<p>${inline(escapeHtml(paragraph.join(" ")), base)}</p>`);
    paragraph = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith("```")) {
      flush();
      const code: string[] = [];
      for (i++; i < lines.length && !lines[i]!.startsWith("```"); i++) code.push(lines[i]!);
      out.push(`<pre><code>${escapeHtml(code.join("\n"))}</code></pre>`);
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      // a report.md's own h1 sits under the report's section heading
      const level = Math.min(6, heading[1]!.length + 2);
      out.push(`<h${level}>${inline(escapeHtml(heading[2]!), base)}</h${level}>`);
      continue;
    }
    if (/^\s*[-*]\s+/.test(line)) {
      flush();
      const items: string[] = [];
      for (; i < lines.length && /^\s*[-*]\s+/.test(lines[i]!); i++) {
        items.push(`<li>${inline(escapeHtml(lines[i]!.replace(/^\s*[-*]\s+/, "")), base)}</li>`);
      }
      i--;
      out.push(`<ul>${items.join("")}</ul>`);
      continue;
    }
    if (line.trim().startsWith("|") && /^\s*\|?[\s:|-]+\|?\s*$/.test(lines[i + 1] ?? "x")) {
      flush();
      const columns = tableCells(line);
      const rows: string[][] = [];
      for (i += 2; i < lines.length && lines[i]!.trim().startsWith("|"); i++) {
        rows.push(tableCells(lines[i]!));
      }
      i--;
      out.push(
        renderTable({ title: "", columns, rows }).replace("<caption></caption>", ""),
      );
      continue;
    }
    if (line.trim() === "") flush();
    else paragraph.push(line.trim());
  }
  flush();
  return out.join("\n");
};
