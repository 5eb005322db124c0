/**
 * Study tables: the `tables.json` a report stage writes into its artifact directory,
 * `{"tables":[{"id","title","columns","rows","note"?}]}` with cells that are strings, numbers,
 * null, or an aggregate over replicates (mean, 95% interval, n and every seed's value; see
 * docs/replicates.md), validated with valibot (a bad file is reported by field, not rendered half-way), and
 * rendered as HTML tables.
 */
import * as v from "valibot";
import { escapeHtml } from "./escape.ts";
import { formatIntervalCell, type IntervalCell } from "../stats/intervalCell.ts";

const IntervalCellSchema = v.strictObject({
  mean: v.number(),
  halfWidth: v.nullable(v.number()),
  low: v.nullable(v.number()),
  high: v.nullable(v.number()),
  level: v.number(),
  n: v.pipe(v.number(), v.integer(), v.minValue(1)),
  seeds: v.array(v.number()),
  values: v.array(v.number()),
});

const Cell = v.nullable(v.union([v.string(), v.number(), IntervalCellSchema]));
export type TableCell = string | number | null | IntervalCell;

export const StudyTableSchema = v.strictObject({
  id: v.pipe(v.string(), v.minLength(1)),
  title: v.string(),
  columns: v.array(v.string()),
  rows: v.array(v.array(Cell)),
  note: v.optional(v.string()),
});
export type StudyTable = v.InferOutput<typeof StudyTableSchema>;

export const TablesFileSchema = v.strictObject({ tables: v.array(StudyTableSchema) });
export type TablesFile = v.InferOutput<typeof TablesFileSchema>;

/** Parses a tables.json text; a problem comes back as a message naming the field. */
export const parseTables = (
  text: string,
): { ok: true; tables: StudyTable[] } | { ok: false; reason: string } => {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `not JSON (${e instanceof Error ? e.message : e})` };
  }
  const parsed = v.safeParse(TablesFileSchema, raw);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const path = v.getDotPath(issue) ?? "(root)";
    return { ok: false, reason: `field "${path}": ${issue.message}` };
  }
  return { ok: true, tables: parsed.output.tables };
};

/** A number as a table shows it: integers as they are, others with 4 significant digits. */
export const formatCell = (cell: TableCell): string =>
  cell === null
    ? "—"
    : typeof cell === "object"
    ? formatIntervalCell(cell, 4)
    : typeof cell === "number"
    ? (Number.isInteger(cell)
      ? String(cell)
      : Number.isFinite(cell)
      ? Number(cell.toPrecision(4)).toString()
      : String(cell))
    : cell;

/** One HTML table with a caption; numeric cells are right-aligned. */
export const renderTable = (t: {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly TableCell[])[];
  readonly note?: string | undefined;
  readonly id?: string | undefined;
}): string =>
  [
    `<figure class="table"${t.id ? ` data-table="${escapeHtml(t.id)}"` : ""}>`,
    `<table><caption>${escapeHtml(t.title)}</caption>`,
    `<thead><tr>${t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("")}</tr></thead>`,
    "<tbody>",
    ...t.rows.map((r) =>
      `<tr>${
        r.map((c) =>
          `<td${
            typeof c === "number" || (c !== null && typeof c === "object") ? ' class="num"' : ""
          }${
            c !== null && typeof c === "object"
              ? ` title="${
                escapeHtml(c.seeds.map((s, i) => `seed ${s}: ${c.values[i]}`).join("\n"))
              }"`
              : ""
          }>${escapeHtml(formatCell(c))}</td>`
        ).join("")
      }</tr>`
    ),
    "</tbody></table>",
    t.note ? `<figcaption>${escapeHtml(t.note)}</figcaption>` : "",
    "</figure>",
  ].join("\n");
