/**
 * `diffrun plan --executor slurm`: the sbatch line of every compute stage that would be
 * submitted, and which stages stay in the head or are cache hits. Nothing is submitted.
 */
import type { Plan } from "../core/plan.ts";
import { resourcesFor, type SlurmSettings } from "./resources.ts";
import { type JobCommand, sbatchLine } from "./sbatch.ts";
import { logPattern } from "./jobRecords.ts";
import { runsAsJob } from "./slurm.ts";

export const formatSlurmPlan = (
  plan: Plan,
  hits: ReadonlySet<string>,
  settings: SlurmSettings | undefined,
  command: JobCommand,
): string => {
  const lines: string[] = ["", "Slurm jobs (not submitted):"];
  let jobs = 0;
  for (const node of plan.nodes.values()) {
    if (hits.has(node.key)) {
      lines.push(`# ${node.label}: cache hit, no job`);
      continue;
    }
    if (!runsAsJob(node)) {
      lines.push(`# ${node.label}: bookkeeping, runs in the head`);
      continue;
    }
    jobs++;
    const waiting = Object.values(node.inputs).filter((k) => !hits.has(k)).map((k) =>
      plan.nodes.get(k)!.label
    );
    lines.push(
      `# ${node.label}${
        waiting.length
          ? ` (submitted once ${waiting.join(", ")} ${waiting.length === 1 ? "is" : "are"} stored)`
          : ""
      }`,
    );
    lines.push(sbatchLine({
      key: node.key,
      label: node.label,
      resources: resourcesFor(settings, { name: node.def.name, label: node.label }),
      logPattern: logPattern(command.storeRoot, node.key),
      command,
    }));
  }
  lines.push(`${jobs} job(s) to submit`);
  return lines.join("\n");
};
