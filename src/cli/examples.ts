/**
 * The example commands `--help` shows. Each one plans on a fresh checkout (a test runs every
 * `run`/`plan` example as `plan`), so they stay in step with the shipped experiments.
 */
import type * as Command from "effect/cli/Command";

export const runExamples: readonly Command.Command.Example[] = [
  {
    command: "diffrun run experiments/quickstart.ts --profile smoke",
    description: "the quickstart in seconds",
  },
  {
    command: "diffrun run experiments/quickstart.ts -p steps=400 -p weighting.gamma=3",
    description: "override a param, and one field of an object param",
  },
  {
    command: "diffrun run experiments/min-snr.ts --profile smoke -p 'target=[eps,v]'",
    description: "a list replaces the sweep's axis",
  },
  {
    command:
      `diffrun run experiments/min-snr.ts --profile quick -p 'weighting=[{"strategy":"min-snr","gamma":10}]'`,
    description: "a swept object param is overridden whole",
  },
];

export const planExamples: readonly Command.Command.Example[] = [
  {
    command: "diffrun plan experiments/min-snr.ts --profile smoke",
    description: "stages with hit or miss, and the params that differ between arms",
  },
  {
    command: "diffrun plan experiments/quickstart.ts --format json",
    description: "every arm's full params and every stage, as JSON",
  },
];
