/**
 * Cache keys and the backend choice, at plan level: a webgpu result is never served for an ort
 * request or the reverse, `auto` is keyed exactly like the backend it picked, and the choice
 * follows --backend > DIFFRUN_BACKEND > experiment field > auto.
 */
import assert from "node:assert/strict";
import { type BackendResolver, loadAndPlan } from "../../src/core/runner.ts";
import { chooseBackend } from "../../src/engine/chooseBackend.ts";
import type { AdapterProbe } from "../../src/engine/webgpuAdapter.ts";

const root = new URL("../../", import.meta.url).pathname;

const fakeAdapter = (isFallbackAdapter: boolean): AdapterProbe => ({
  found: true,
  adapter: {
    vendor: "",
    architecture: "",
    device: "",
    description: isFallbackAdapter ? "llvmpipe" : "NVIDIA H100",
    isFallbackAdapter,
    maxBufferSize: 2 ** 31,
    maxStorageBufferBindingSize: 2 ** 27,
  },
});
const resolverWith = (p: AdapterProbe): BackendResolver => (requested, source) =>
  chooseBackend(requested, source, () => Promise.resolve(p));

const plan = (backend: string | undefined, resolve?: BackendResolver) =>
  loadAndPlan({
    experimentFile: `${root}experiments/quickstart.ts`,
    profile: "smoke",
    overrides: [],
    backend,
    projectRoot: root,
    ...(resolve ? { resolveBackend: resolve } : {}),
  });

/** Stage name → key, and which stages are engine-sensitive. */
const keys = async (backend: string | undefined, resolve?: BackendResolver) => {
  const p = await plan(backend, resolve);
  return {
    backend: p.experiment.backend,
    reason: p.experiment.backendReason,
    byStage: new Map([...p.nodes.values()].map((n) => [n.def.name, n.key])),
    sensitive: new Set(
      [...p.nodes.values()].filter((n) => n.def.engineSensitive).map((n) => n.def.name),
    ),
  };
};

Deno.test("planning with webgpu and with ort gives different keys to every engine-sensitive stage", async () => {
  const gpu = await keys("webgpu");
  const ort = await keys("ort");
  assert.ok(gpu.sensitive.size >= 3, `engine-sensitive stages: ${[...gpu.sensitive]}`);
  for (const [stage, key] of ort.byStage) {
    if (gpu.sensitive.has(stage)) {
      assert.notEqual(gpu.byStage.get(stage), key, `${stage} would be shared across backends`);
    }
  }
  assert.equal(gpu.byStage.get("dataset"), ort.byStage.get("dataset"), "engine-free: shared");
});

Deno.test("loadAndPlan() keys auto exactly like the backend it picked, and records why", async () => {
  const ort = await keys("ort");
  const gpu = await keys("webgpu");
  const software = await keys(undefined, resolverWith(fakeAdapter(true)));
  assert.equal(software.backend, "ort");
  assert.match(software.reason ?? "", /^auto: the only WebGPU adapter is a software one/);
  assert.deepEqual([...software.byStage], [...ort.byStage]);
  const hardware = await keys("auto", resolverWith(fakeAdapter(false)));
  assert.equal(hardware.backend, "webgpu");
  assert.match(hardware.reason ?? "", /^auto: hardware WebGPU adapter NVIDIA H100/);
  assert.deepEqual([...hardware.byStage], [...gpu.byStage]);
});

Deno.test("loadAndPlan() takes --backend over DIFFRUN_BACKEND over the default", async () => {
  Deno.env.set("DIFFRUN_BACKEND", "cpu");
  try {
    const fromEnv = await plan(undefined);
    assert.equal(fromEnv.experiment.backend, "cpu");
    assert.equal(fromEnv.experiment.backendReason, "DIFFRUN_BACKEND asked for cpu");
    const fromFlag = await plan("webgpu");
    assert.equal(fromFlag.experiment.backend, "webgpu");
    assert.equal(fromFlag.experiment.backendReason, "--backend asked for webgpu");
  } finally {
    Deno.env.delete("DIFFRUN_BACKEND");
  }
  const byDefault = await plan(undefined);
  assert.equal(byDefault.experiment.backend, "ort", "no resolver: auto is ort");
  assert.match(byDefault.experiment.backendReason ?? "", /^auto: no adapter probe/);
});
