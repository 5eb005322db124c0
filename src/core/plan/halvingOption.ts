/**
 * The successive-halving option of a plan (docs/halving.md): the sweep's `halving` with the
 * `-p halving…` overrides applied, checked against the pipeline (its budget param exists and is
 * not swept), with the metric split into an arm output and a field path.
 */
import * as v from "valibot";
import type { AnyPipelineDef } from "../pipeline.ts";
import { type HalvingOverrides, HalvingSpec } from "../halving.ts";
import { type SweepSpec, sweptParams } from "../sweep.ts";
import { lookupParam, unknownParamMessage } from "../paramSchema.ts";
import type { Issues } from "./issues.ts";

export interface ResolvedHalving extends HalvingSpec {
  /** The param the rungs set. */
  readonly budget: string;
  /** The metric split: the arm output, and the path of the field inside its value. */
  readonly output: string;
  readonly path: readonly string[];
  /** `--extend`: only these sweep arms, each to the last rung (keep is then 1). */
  readonly extend: readonly string[];
}

/** The declared option with `-p halving…` applied, checked; undefined: no halving. */
export const resolveHalving = (
  pipeline: AnyPipelineDef,
  declared: HalvingSpec | undefined,
  overrides: HalvingOverrides,
  sweep: SweepSpec | undefined,
  issues: Issues,
): ResolvedHalving | undefined => {
  if (overrides.off || (declared === undefined && Object.keys(overrides.fields).length === 0)) {
    if (overrides.extend.length > 0) {
      issues.add(
        "command line",
        "--extend continues arms that successive halving stopped, and this sweep runs without halving",
        "halving.extend",
      );
    }
    return undefined;
  }
  const where = declared === undefined ? "command line" : "sweep.halving";
  const parsed = v.safeParse(HalvingSpec, { ...(declared ?? {}), ...overrides.fields });
  if (!parsed.success) {
    for (const i of parsed.issues) {
      const field = v.getDotPath(i);
      issues.add(
        where,
        `${
          declared === undefined
            ? "the sweep declares no halving, so -p halving.… must set every field: "
            : ""
        }${field ? `halving.${field}: ` : ""}${i.message}`,
        field ? `halving.${field}` : "halving",
      );
    }
    return undefined;
  }
  const spec = parsed.output;
  const budget = spec.budget ?? pipeline.budget;
  if (budget === undefined) {
    issues.add(
      where,
      `pipeline "${pipeline.name}" declares no budget param; name the param the rungs set with halving.budget`,
      "halving.budget",
    );
    return undefined;
  }
  const found = lookupParam(pipeline.params, budget);
  if (found !== "ok") {
    issues.add(
      where,
      `halving.budget: ${unknownParamMessage(found.unknownAt, found.known)}`,
      "halving.budget",
    );
    return undefined;
  }
  const swept = sweptParams(sweep).filter((p) =>
    p === budget || p.startsWith(`${budget}.`) || budget.startsWith(`${p}.`)
  );
  if (swept.length > 0) {
    issues.add(
      where,
      `halving sets "${budget}" at every rung, so the sweep cannot also assign it (${
        swept.join(", ")
      }); drop that axis or halving`,
      budget,
    );
    return undefined;
  }
  const [output, ...path] = spec.metric.split(".");
  const extend = overrides.extend;
  return {
    ...spec,
    keep: extend.length > 0 ? 1 : spec.keep,
    budget,
    output: output!,
    path,
    extend,
  };
};
