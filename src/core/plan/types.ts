/** What planning produces: stage instances with their keys, arms, and the graph between them. */
import type * as Graph from "effect/Graph";
import type { AnyStageDef } from "../stage.ts";
import type { KeyComponents } from "../cacheKey.ts";
import type { ExecutorData } from "../experiment.ts";
import type { ResolvedHalving } from "./halvingOption.ts";

export interface PlanOptions {
  /** The experiment file, for messages and the manifest. */
  readonly file: string;
  readonly profile?: string | undefined;
  /** Raw `-p` arguments. */
  readonly overrides?: readonly string[];
  readonly backend?: string | undefined;
  /** Why that backend (e.g. what `auto` found); recorded in the plan and the manifest. */
  readonly backendReason?: string | undefined;
  /** Project root: code hashes use paths relative to it. */
  readonly root: string;
  /** The most arms a sweep may expand to (default MAX_ARMS). */
  readonly maxArms?: number | undefined;
}

export interface PlanNode {
  readonly key: string;
  readonly def: AnyStageDef;
  readonly params: unknown;
  /** Input name -> upstream key. */
  readonly inputs: Readonly<Record<string, string>>;
  readonly seed: number;
  readonly components: KeyComponents;
  /** Ids of the arms that use this instance (empty for aggregate-only stages). */
  readonly arms: readonly string[];
  readonly aggregate: boolean;
  readonly label: string;
}

export interface ArmPlan {
  readonly id: string;
  /** The swept values only. */
  readonly values: Readonly<Record<string, unknown>>;
  /** The sweep arm's id without the replicate seed, and that seed (null: no replicates). */
  readonly group: string;
  readonly replicate: number | null;
  /** Fully resolved and validated params. */
  readonly params: unknown;
  /** Output name -> key. */
  readonly outputs: Readonly<Record<string, string>>;
}

export interface Plan {
  readonly experiment: {
    readonly name: string;
    readonly file: string;
    readonly profile: string | null;
    readonly seed: number;
    /** Seeds per arm (docs/replicates.md); null when the experiment asked for none. */
    readonly replicates: number | null;
    readonly backend: string;
    readonly backendReason: string | null;
    readonly description: string | null;
    readonly executor: ExecutorData;
  };
  readonly pipeline: { readonly name: string; readonly module: string };
  readonly arms: readonly ArmPlan[];
  /** Output name -> key of the aggregate stages. */
  readonly aggregate: Readonly<Record<string, string>>;
  /** Every instance once, in a topological order (inputs before users). */
  readonly nodes: ReadonlyMap<string, PlanNode>;
  readonly graph: Graph.DirectedGraph<PlanNode, string>;
  readonly engine: unknown;
  /** Successive halving (docs/halving.md); null: every arm runs its whole budget. */
  readonly halving: HalvingPlan | null;
}

export interface HalvingPlan {
  readonly spec: ResolvedHalving;
  /** The arms that take part, by sweep arm (its replicate seeds together), in sweep order. */
  readonly groups: ReadonlyMap<string, readonly string[]>;
  /** Arm id -> its outputs (name -> key) at each rung. */
  readonly rungOutputs: ReadonlyMap<string, readonly Readonly<Record<string, string>>[]>;
  readonly work: HalvingWork;
  /**
   * The plan as it ends: each arm's outputs those of its last rung (arm id -> rung index), the
   * cross-arm stages recorded anew over the arms that reached the last rung.
   */
  readonly finish: (lastRung: ReadonlyMap<string, number>) => Plan;
}

export interface HalvingWork {
  /** Arms (replicate seeds counted once) alive at each rung. */
  readonly armsPerRung: readonly number[];
  /** Budget units summed over arms and seeds: with halving, and with every arm to the end. */
  readonly budgetWithHalving: number;
  readonly budgetWithout: number;
  /** Stage instances that run at most with halving (an upper bound), and without it. */
  readonly stagesAtMost: number;
  readonly stagesWithout: number;
}
