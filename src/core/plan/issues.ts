/**
 * Collecting plan problems: every phase of planning adds what it finds, and planning stops at
 * the end of a phase with all of them in one PlanError, so a user fixes everything in one go.
 */
import type { PlanIssue } from "../errors.ts";
import { PlanError } from "../errors.ts";

/** Thrown by a pipeline's `build` to reject an invalid combination of params with a message. */
export class InvalidCombination extends Error {
  constructor(readonly field: string | undefined, message: string) {
    super(message);
  }
}

export const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export interface Issues {
  /** Records a problem (an exact repeat is recorded once). */
  readonly add: (where: string, message: string, field?: string) => void;
  readonly count: () => number;
  /** Throws a PlanError with every problem so far, if there is one. */
  readonly throwIfAny: (options?: { readonly collapseArms?: boolean }) => void;
}

export const makeIssues = (file: string): Issues => {
  const issues: PlanIssue[] = [];
  return {
    add: (where, message, field) => {
      const i: PlanIssue = field === undefined
        ? { file, where, message }
        : { file, where, field, message };
      if (
        !issues.some((x) => x.where === i.where && x.field === i.field && x.message === i.message)
      ) issues.push(i);
    },
    count: () => issues.length,
    throwIfAny: (options) => {
      if (issues.length === 0) return;
      throw new PlanError({ issues: options?.collapseArms ? collapseArms(issues) : [...issues] });
    },
  };
};

/** The same problem in several arms (a missing dataset, say) is reported once, naming how many. */
const collapseArms = (issues: readonly PlanIssue[]): PlanIssue[] => {
  const out: PlanIssue[] = [];
  const seen = new Map<string, { index: number; arms: number; first: string }>();
  for (const i of issues) {
    const key = `${i.field ?? ""}\n${i.message}`;
    const prev = seen.get(key);
    if (i.where.startsWith("arm ") && prev) {
      prev.arms++;
      out[prev.index] = { ...out[prev.index]!, where: `${prev.arms} arms (${prev.first}, …)` };
      continue;
    }
    if (i.where.startsWith("arm ")) {
      seen.set(key, { index: out.length, arms: 1, first: i.where.slice(4) });
    }
    out.push(i);
  }
  return out;
};
