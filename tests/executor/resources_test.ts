import assert from "node:assert/strict";
import * as v from "valibot";
import { join } from "node:path";
import {
  resourcesFor,
  SlurmResources,
  SlurmSettings,
  unknownStageNames,
} from "../../src/executor/resources.ts";
import * as Effect from "effect/Effect";
import { loadExperimentModule } from "../../src/core/experiment.ts";
import { planExperiment } from "../../src/core/plan.ts";
import { chooseExecutor } from "../../src/executor/setup.ts";
import { toFileUrl } from "../../src/core/paths.ts";
import { projectRoot } from "../core/helpers.ts";

const issuesOf = (schema: v.GenericSchema, input: unknown) => {
  const r = v.safeParse(schema, input);
  assert.equal(r.success, false, "expected a validation error");
  return r.issues!.map((i) => `${v.getDotPath(i)}: ${i.message}`);
};

Deno.test("SlurmResources accepts every documented field", () => {
  const ok = v.parse(SlurmResources, {
    gpus: 1,
    cpus: 4,
    mem: "16G",
    time: "1-12:00:00",
    partition: "gpu",
    sbatch: ["--qos=short"],
  });
  assert.equal(ok.cpus, 4);
  for (const time of ["90", "30:00", "2:00:00", "1-12", "1-12:30", "1-12:30:00"]) {
    assert.equal(v.safeParse(SlurmResources, { time }).success, true, time);
  }
});

Deno.test("SlurmResources rejects an unknown field, naming it", () => {
  const issues = issuesOf(SlurmResources, { cpus: 2, gpu: 1 });
  assert.ok(issues.some((i) => i.startsWith("gpu:")), issues.join("; "));
});

Deno.test("SlurmResources rejects bad values, naming the field", () => {
  assert.ok(issuesOf(SlurmResources, { mem: "16 GB" })[0]!.startsWith("mem:"));
  assert.ok(issuesOf(SlurmResources, { time: "2h" })[0]!.startsWith("time:"));
  assert.ok(issuesOf(SlurmResources, { cpus: 0 })[0]!.startsWith("cpus:"));
  assert.ok(issuesOf(SlurmResources, { gpus: 1.5 })[0]!.startsWith("gpus:"));
  assert.ok(issuesOf(SlurmResources, { sbatch: ["qos=short"] })[0]!.startsWith("sbatch.0:"));
  assert.ok(
    issuesOf(SlurmSettings, { stages: { train: { memory: "1G" } } })[0]!.startsWith(
      "stages.train.memory:",
    ),
  );
});

Deno.test("resourcesFor() layers defaults < stage name < label, field by field", () => {
  const settings = v.parse(SlurmSettings, {
    resources: { cpus: 2, time: "1:00:00", partition: "cpu" },
    stages: { train: { cpus: 8, gpus: 1 }, "train[lr=0.1]": { time: "4:00:00" } },
  });
  assert.deepEqual(resourcesFor(settings, { name: "train", label: "train[lr=0.1]" }), {
    cpus: 8,
    time: "4:00:00",
    partition: "cpu",
    gpus: 1,
  });
  assert.deepEqual(resourcesFor(settings, { name: "evaluate", label: "evaluate" }), {
    cpus: 2,
    time: "1:00:00",
    partition: "cpu",
  });
  assert.deepEqual(resourcesFor(undefined, { name: "x", label: "x" }), {});
});

Deno.test("unknownStageNames() lists stage names that match neither a name nor a label", () => {
  const stages = [{ name: "train", label: "train[lr=0.1]" }, {
    name: "evaluate",
    label: "evaluate",
  }];
  assert.deepEqual(
    unknownStageNames({ stages: { train: {}, "train[lr=0.1]": {}, trian: {} } }, stages),
    ["trian"],
  );
});

const writeExperiment = async (body: string) => {
  const dir = await Deno.makeTempDir({ prefix: "diffrun-exp-" });
  const file = join(dir, "exp.ts");
  const toy = toFileUrl(join(projectRoot, "tests/core/testdata/toy_pipeline.ts"));
  const experiment = toFileUrl(join(projectRoot, "src/core/experiment.ts"));
  await Deno.writeTextFile(
    file,
    `import { defineExperiment } from "${experiment}";\nimport { toyPipeline } from "${toy}";\n` +
      `export default defineExperiment({ name: "t", pipeline: toyPipeline, ${body} });\n`,
  );
  return { file, cleanup: () => Deno.remove(dir, { recursive: true }) };
};

const executorOf = async (file: string, flag?: "local" | "slurm") => {
  const plan = planExperiment(await loadExperimentModule(file), { file, root: projectRoot });
  return Effect.runPromise(chooseExecutor(plan, flag));
};

Deno.test("chooseExecutor() rejects an unknown field of slurm resources, naming it", async () => {
  const exp = await writeExperiment(`slurm: { resources: { cpus: 2, partiton: "gpu" } }`);
  try {
    await assert.rejects(() => executorOf(exp.file), (e: Error) => {
      assert.match(e.message, /slurm\.resources\.partiton/);
      return true;
    });
  } finally {
    await exp.cleanup();
  }
});

Deno.test("chooseExecutor() accepts executor and slurm settings, rejects a bad executor", async () => {
  const good = await writeExperiment(
    `executor: "slurm", slurm: { resources: { cpus: 2 }, stages: { scale: { gpus: 1 } }, pollSeconds: 1, retries: 2 }`,
  );
  const bad = await writeExperiment(`executor: "kubernetes"`);
  try {
    const choice = await executorOf(good.file);
    assert.equal(choice.kind, "slurm");
    assert.equal(choice.settings?.stages?.scale?.gpus, 1);
    assert.equal((await executorOf(good.file, "local")).kind, "local", "--executor wins");
    await assert.rejects(() => executorOf(bad.file), /executor/);
  } finally {
    await good.cleanup();
    await bad.cleanup();
  }
});
