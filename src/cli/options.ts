/** Flags shared by several commands, and where the store and results live. */
import * as Flag from "effect/cli/Flag";
import * as Option from "effect/Option";
import { cpus } from "node:os";
import { resolve } from "node:path";
import { findProjectRoot } from "../core/plan.ts";

export const profile = Flag.String("profile").pipe(
  Flag.withDescription("profile of the experiment file (e.g. smoke, quick, full)"),
  Flag.optional,
);
export const params = Flag.String("param").pipe(
  Flag.withAlias("p"),
  Flag.withDescription(
    "override a param: -p gamma=5; a list makes a sweep axis: -p 'weighting=[unweighted,min-snr]'",
  ),
  Flag.atLeast(0),
);
export const backend = Flag.String("backend").pipe(
  Flag.withDescription(
    "tensor backend: auto (default: webgpu on a hardware GPU, else ort), ort, cpu, webgpu, " +
      "tensorflow, tensorflow-gpu (fails unless a GPU runs it); also DIFFRUN_BACKEND",
  ),
  Flag.optional,
);
export const store = Flag.String("store").pipe(
  Flag.withDescription(
    "store directory (default: $DIFFRUN_STORE, else .diffrun/store in the project)",
  ),
  Flag.optional,
);
export const results = Flag.String("results").pipe(
  Flag.withDescription("results directory (default: results/ in the project)"),
  Flag.optional,
);
export const jobs = Flag.Int("jobs").pipe(
  Flag.withAlias("j"),
  Flag.withDescription(
    "compute slots: stages doing tensor work that may run at once (default: number of cores)",
  ),
  Flag.optional,
);

export const projectRoot = () => findProjectRoot(Deno.cwd());

export const storeRoot = (flag: Option.Option<string>, root: string) =>
  Option.isSome(flag)
    ? resolve(flag.value)
    : Deno.env.get("DIFFRUN_STORE")
    ? resolve(Deno.env.get("DIFFRUN_STORE")!)
    : resolve(root, ".diffrun", "store");

export const resultsRoot = (flag: Option.Option<string>, root: string) =>
  Option.isSome(flag) ? resolve(flag.value) : resolve(root, "results");

export const cores = () => cpus().length;

export const orUndefined = <A>(
  o: Option.Option<A>,
): A | undefined => (Option.isSome(o) ? o.value : undefined);
