/**
 * Errors of the diffusion core, as a closed union of tagged classes whose message is built from
 * their fields (Effect style). Configuration problems (unknown family, sampler, option, strategy)
 * are `DiffusionConfigError`; a request that is mathematically undefined (ε-prediction at SNR = 0)
 * is `DiffusionMathError`.
 *
 * Also holds the one valibot helper every config parser here uses, so that all of them report the
 * offending field the same way. No other logic lives here.
 */
import * as v from "valibot";

/** One problem with one field of a config object. `field` is a dotted path ("" = the whole). */
export interface ConfigIssue {
  readonly field: string;
  readonly message: string;
}

export class DiffusionConfigError extends Error {
  readonly _tag = "DiffusionConfigError" as const;
  constructor(readonly subject: string, readonly issues: readonly ConfigIssue[]) {
    super(
      `invalid ${subject}: ` +
        issues.map((i) => (i.field === "" ? i.message : `field "${i.field}": ${i.message}`))
          .join("; "),
    );
    this.name = "DiffusionConfigError";
  }
}

export class DiffusionMathError extends Error {
  readonly _tag = "DiffusionMathError" as const;
  constructor(readonly operation: string, readonly reason: string) {
    super(`cannot ${operation}: ${reason}`);
    this.name = "DiffusionMathError";
  }
}

export type DiffusionError = DiffusionConfigError | DiffusionMathError;

/**
 * Parses `raw` with `schema`; on failure throws a `DiffusionConfigError` naming every offending
 * field (valibot's dot path), e.g. `invalid schedule config: field "family": Invalid type: ...`.
 */
export function parseConfig<S extends v.GenericSchema>(
  subject: string,
  schema: S,
  raw: unknown,
): v.InferOutput<S> {
  const result = v.safeParse(schema, raw);
  if (result.success) return result.output;
  throw new DiffusionConfigError(
    subject,
    result.issues.map((issue) => ({
      field: v.getDotPath(issue) ?? "",
      message: issue.message,
    })),
  );
}
