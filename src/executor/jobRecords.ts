/**
 * What the Slurm executor writes down, and where:
 *
 * - `<store>/jobs/<key>/spec.json`: how a worker re-plans the experiment (file, profile, `-p`
 *   overrides, backend, project root) to run exactly the node with this key;
 * - `<store>/jobs/<key>/job.json`: the key's latest job (id, log, submitted at), so that a head
 *   started again after the first one died finds the job and re-attaches instead of submitting;
 * - `<store>/jobs/<key>/slurm-<id>.out`: the job's log (Slurm writes it);
 * - `<run dir>/jobs.jsonl`: one line per event of this run (submitted, reattached, ended).
 *
 * The store is the shared filesystem every worker sees, so the records live there; files are
 * written to a temporary name and renamed, so a reader never sees half a record.
 */
import * as v from "valibot";
import { join } from "node:path";
import * as fsys from "../platform/fs.ts";

export const jobsDir = (storeRoot: string, key: string) => join(storeRoot, "jobs", key);
export const specPath = (storeRoot: string, key: string) =>
  join(jobsDir(storeRoot, key), "spec.json");
export const jobPath = (storeRoot: string, key: string) =>
  join(jobsDir(storeRoot, key), "job.json");
export const logPattern = (storeRoot: string, key: string) =>
  join(jobsDir(storeRoot, key), "slurm-%j.out");
export const logPath = (storeRoot: string, key: string, jobId: string) =>
  join(jobsDir(storeRoot, key), `slurm-${jobId}.out`);

export const JobSpec = v.strictObject({
  key: v.string(),
  label: v.string(),
  experimentFile: v.string(),
  profile: v.nullable(v.string()),
  overrides: v.array(v.string()),
  backend: v.nullable(v.string()),
  projectRoot: v.string(),
});
export type JobSpec = v.InferOutput<typeof JobSpec>;

export const JobRecord = v.object({
  key: v.string(),
  label: v.string(),
  jobId: v.string(),
  log: v.string(),
  submittedAt: v.string(),
  /** The run directory of the head that submitted it. */
  runDir: v.string(),
});
export type JobRecord = v.InferOutput<typeof JobRecord>;

export type JobEvent =
  & { readonly event: "submitted" | "reattached" | "ended"; readonly at: string }
  & Pick<JobRecord, "key" | "label" | "jobId" | "log">
  & { readonly state?: string; readonly exitCode?: string | null; readonly attempt?: number };

const writeAtomically = async (path: string, text: string) => {
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  await fsys.writeTextFile(tmp, text);
  await fsys.rename(tmp, path);
};

export const writeSpec = async (storeRoot: string, spec: JobSpec) => {
  await fsys.mkdir(jobsDir(storeRoot, spec.key), { recursive: true });
  await writeAtomically(specPath(storeRoot, spec.key), JSON.stringify(spec, null, 2) + "\n");
};

/** The spec of `key`; a missing or invalid file is an error naming the file and the field. */
export const readSpec = async (storeRoot: string, key: string): Promise<JobSpec> => {
  const path = specPath(storeRoot, key);
  let raw: unknown;
  try {
    raw = JSON.parse(await fsys.readTextFile(path));
  } catch (e) {
    throw new Error(`cannot read the job spec ${path}: ${e instanceof Error ? e.message : e}`);
  }
  const checked = v.safeParse(JobSpec, raw);
  if (!checked.success) {
    const field = v.getDotPath(checked.issues[0]!);
    throw new Error(
      `invalid job spec ${path}${field ? ` at "${field}"` : ""}: ${v.summarize(checked.issues)}`,
    );
  }
  return checked.output;
};

export const writeJobRecord = async (storeRoot: string, record: JobRecord) => {
  await fsys.mkdir(jobsDir(storeRoot, record.key), { recursive: true });
  await writeAtomically(jobPath(storeRoot, record.key), JSON.stringify(record) + "\n");
};

/** The key's latest job, or null (none, or an unreadable record: then it is resubmitted). */
export const readJobRecord = async (storeRoot: string, key: string): Promise<JobRecord | null> => {
  try {
    const checked = v.safeParse(
      JobRecord,
      JSON.parse(await fsys.readTextFile(jobPath(storeRoot, key))),
    );
    return checked.success ? checked.output : null;
  } catch {
    return null;
  }
};

export const appendJobEvent = (runDir: string, event: JobEvent) =>
  fsys.writeTextFile(join(runDir, "jobs.jsonl"), JSON.stringify(event) + "\n", { append: true });

export const readJobEvents = async (runDir: string): Promise<JobEvent[]> => {
  const text = await fsys.readTextFile(join(runDir, "jobs.jsonl")).catch(() => "");
  return text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as JobEvent);
};

/** The last `lines` lines of a log file ("(no log file)" when Slurm wrote none). */
export const logTail = async (path: string, lines = 20): Promise<string> => {
  const text = await fsys.readTextFile(path).catch(() => null);
  if (text === null) return `(no log file at ${path})`;
  // deno-lint-ignore no-control-regex
  const clean = text.replace(/\x1b\[[0-9;]*m/g, "").trimEnd().split("\n");
  return clean.slice(-lines).join("\n");
};
