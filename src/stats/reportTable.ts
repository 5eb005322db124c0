/**
 * An ANOVA table as one entry of a study report's `tables.json`
 * (`{"tables":[{"id","title","columns","rows","note"}]}`, cells strings, numbers or null), which the
 * HTML report renders. NaN and ±∞ are not JSON, so undefined cells become null and the table's
 * notes say why. Pure formatting; no statistics here.
 */
import type { AnovaTable } from "./anova.ts";

import type { IntervalCell } from "./intervalCell.ts";

/** A cell: text, a number, nothing, or an aggregate over replicate seeds. */
export type ReportCell = string | number | null | IntervalCell;

export interface ReportTable {
  readonly id: string;
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly ReportCell[])[];
  readonly note?: string;
}

/** A finite number as is; NaN or ±∞ as null. */
function cell(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/**
 * Rows "factor, df, SS, MS, F, p" in the table's order (by F), then a "residual" row with null F and
 * p. The note gives n and the table's notes; `note`, when given, is put first.
 */
export function anovaReportTable(
  anova: AnovaTable,
  id: string,
  title: string,
  note?: string,
): ReportTable {
  const rows: ReportCell[][] = anova.rows.map((row) => [
    row.factor,
    row.df,
    cell(row.ss),
    cell(row.ms),
    // An exact fit gives F = ∞, p = 0: keep p, show F as the string "∞" rather than null.
    row.f === Number.POSITIVE_INFINITY ? "∞" : cell(row.f),
    cell(row.p),
  ]);
  const { residual } = anova;
  rows.push(["residual", residual.df, cell(residual.ss), cell(residual.ms), null, null]);
  const parts = [...(note === undefined ? [] : [note]), `n = ${anova.n}`, ...(anova.notes ?? [])];
  return {
    id,
    title,
    columns: ["factor", "df", "SS", "MS", "F", "p"],
    rows,
    note: parts.join("; "),
  };
}
