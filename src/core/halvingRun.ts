/**
 * Running a plan with successive halving (docs/halving.md): the scheduler materialises one rung
 * at a time, each phase only what the live arms' metric at that rung needs (their earlier
 * segments are already there); after each rung the metric is read back from the store, the arms
 * are ranked (halving.ts), and the best `keep` fraction goes on. After the last rung the plan is
 * finished with the cross-arm stages over the arms that reached it, and those run.
 *
 * Every decision is a function of stored metrics, so a re-run of the same command makes the
 * same decisions from the cache and computes nothing, and a run killed between rungs resumes at
 * the rung where it stopped.
 */
import * as Cause from "effect/Cause";
import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import * as Option from "effect/Option";
import type { HalvingPlan, Plan } from "./plan.ts";
import type { NodeResult } from "./events.ts";
import { runPlan } from "./scheduler.ts";
import { readMaterialised, type RunOptions } from "./schedulerState.ts";
import { keepCount, metricOf, type RankedArm, rankRung } from "./halving.ts";
import { closure } from "./plan/halvingPlan.ts";
import { Store } from "../store/Store.ts";
import { killPoint } from "../store/killPoint.ts";

/** What the run directory records of one rung (halving.json). */
export interface RungRecord {
  readonly rung: number;
  /** The budget param's value at this rung. */
  readonly budget: number;
  /** The arms ranked, best first (sweep arms; replicate seeds together). */
  readonly ranking: readonly RankedArm[];
  /** Sweep arms that go on to the next rung (at the last rung: the survivors). */
  readonly continuing: readonly string[];
  readonly stopped: readonly string[];
}

export interface HalvingHooks {
  /** After each rung's decision (the run directory writes halving.json). */
  readonly onRung: (record: RungRecord, halving: HalvingPlan) => Effect.Effect<void>;
  /** When the plan is finished with its cross-arm stages, before they run. */
  readonly onFinish: (plan: Plan) => Effect.Effect<void>;
}

export const runHalving = Effect.fnUntraced(
  function* (plan: Plan, options: RunOptions, hooks: HalvingHooks) {
    const halving = plan.halving!;
    const { spec } = halving;
    const store = yield* Store;
    const results = new Map<string, NodeResult>();
    const done = new Set<string>();
    /** Materialises what `keys` need that no earlier phase did; the phase's exit. */
    const phase = (current: Plan, keys: Iterable<string>, phaseOptions: RunOptions) =>
      Effect.gen(function* () {
        const wanted = new Set([...closure(current.nodes, keys)].filter((k) => !done.has(k)));
        const outcome = yield* runPlan(current, { ...phaseOptions, only: wanted });
        for (const [k, r] of outcome.results) results.set(k, r);
        for (const k of wanted) done.add(k);
        return outcome.exit;
      });

    const lastRung = new Map<string, number>();
    let live = [...halving.groups.keys()];
    for (let r = 0; r < spec.rungs.length; r++) {
      const armsOf = (group: string) => halving.groups.get(group)!;
      const metricKey = (arm: string) => halving.rungOutputs.get(arm)![r]![spec.output];
      const exit = yield* phase(plan, live.flatMap(armsOf).map(metricKey).filter(isKey), options);
      for (const group of live) for (const arm of armsOf(group)) lastRung.set(arm, r);
      // fail-fast: a failure ends the run here; with keepGoing the failed arms rank last
      if (Exit.isFailure(exit) && (!options.keepGoing || Cause.hasInterrupts(exit.cause))) {
        return { results, exit, plan };
      }
      const scores = [];
      for (const group of live) {
        const values = [];
        for (const arm of armsOf(group)) {
          const key = metricKey(arm);
          const value = key === undefined
            ? Option.none()
            : yield* readMaterialised(store, results, plan.nodes.get(key)!);
          values.push(Option.isSome(value) ? metricOf(value.value, spec.path) : null);
        }
        scores.push({ arm: group, values });
      }
      const last = r === spec.rungs.length - 1;
      const ranking = rankRung(
        scores,
        spec.mode,
        last ? live.length : keepCount(live.length, spec.keep),
      );
      const continuing = new Set(ranking.filter((a) => a.continues).map((a) => a.arm));
      yield* hooks.onRung({
        rung: r,
        budget: spec.rungs[r]!,
        ranking,
        continuing: live.filter((g) => continuing.has(g)),
        stopped: live.filter((g) => !continuing.has(g)),
      }, halving);
      killPoint("rung");
      live = live.filter((g) => continuing.has(g));
    }

    // the end: the cross-arm stages over the survivors, and the survivors' other outputs
    const finished = halving.finish(lastRung);
    yield* hooks.onFinish(finished);
    const top = spec.rungs.length - 1;
    const survivorOutputs = [...lastRung].filter(([, rung]) => rung === top)
      .flatMap(([arm]) => Object.values(halving.rungOutputs.get(arm)![top]!));
    // cross-arm stages run here, also under an executor: they exist only in this process's plan
    const { executor: _elsewhere, ...local } = options;
    const exit = yield* phase(
      finished,
      [...survivorOutputs, ...Object.values(finished.aggregate)],
      local,
    );
    return { results, exit, plan: finished };
  },
);

const isKey = (k: string | undefined): k is string => k !== undefined;
