import assert from "node:assert/strict";
import { chooseBackend } from "../../src/engine/chooseBackend.ts";
import { WebgpuUnavailableError } from "../../src/engine/errors.ts";
import { cli, tempEnv, text } from "../core/helpers.ts";
import { type AdapterProbe, describeAdapter } from "../../src/engine/webgpuAdapter.ts";

const adapter = (description: string, isFallbackAdapter: boolean): AdapterProbe => ({
  found: true,
  adapter: {
    vendor: "0x10de",
    architecture: "",
    device: "",
    description,
    isFallbackAdapter,
    maxBufferSize: 2 ** 31,
    maxStorageBufferBindingSize: 2 ** 27,
  },
});
const probe = (p: AdapterProbe) => () => Promise.resolve(p);

Deno.test("chooseBackend('auto') picks webgpu on a hardware adapter and names it", async () => {
  const c = await chooseBackend("auto", "default", probe(adapter("NVIDIA H100", false)));
  assert.equal(c.backend, "webgpu");
  assert.match(c.reason, /^auto: hardware WebGPU adapter NVIDIA H100/);
});

Deno.test("chooseBackend('auto') picks ort on a software adapter and says why", async () => {
  const c = await chooseBackend("auto", "default", probe(adapter("llvmpipe (LLVM 15)", true)));
  assert.equal(c.backend, "ort");
  assert.match(c.reason, /software one \(llvmpipe \(LLVM 15\)\), using ort/);
});

Deno.test("chooseBackend('auto') picks ort without an adapter and gives the probe's reason", async () => {
  const c = await chooseBackend(
    "auto",
    "DIFFRUN_BACKEND",
    probe({ found: false, reason: "this runtime has no navigator.gpu" }),
  );
  assert.deepEqual(
    { backend: c.backend, source: c.source },
    { backend: "ort", source: "DIFFRUN_BACKEND" },
  );
  assert.match(c.reason, /no WebGPU adapter \(this runtime has no navigator.gpu\)/);
});

Deno.test("chooseBackend() keeps an explicit name, probing only for webgpu", async () => {
  const c = await chooseBackend("cpu", "experiment field", () => {
    throw new Error("must not probe");
  });
  assert.deepEqual(c, {
    backend: "cpu",
    requested: "cpu",
    source: "experiment field",
    reason: "experiment field asked for cpu",
  });
  const gpu = await chooseBackend("webgpu", "--backend", probe(adapter("llvmpipe", true)));
  assert.deepEqual(
    { backend: gpu.backend, reason: gpu.reason },
    { backend: "webgpu", reason: "--backend asked for webgpu" },
  );
});

Deno.test("chooseBackend('webgpu') without an adapter fails with what to install", async () => {
  await assert.rejects(
    () => chooseBackend("webgpu", "--backend", probe({ found: false, reason: "no navigator.gpu" })),
    (e: unknown) =>
      e instanceof WebgpuUnavailableError && /no navigator.gpu/.test(e.message) &&
      /mesa-vulkan-drivers/.test(e.message),
  );
});

Deno.test("describeAdapter() flags llvmpipe as software even without isFallbackAdapter", () => {
  const limits = { maxBufferSize: 1024, maxStorageBufferBindingSize: 512 };
  const r = describeAdapter({
    info: { vendor: "65541", description: "llvmpipe (LLVM 15)" },
    limits,
  });
  assert.equal(r.isFallbackAdapter, true);
  assert.equal(r.maxStorageBufferBindingSize, 512);
  const hw = describeAdapter({ info: { vendor: "4318", description: "NVIDIA H100" }, limits });
  assert.equal(hw.isFallbackAdapter, false);
});

Deno.test("diffrun run --backend webgpu without an adapter stops before any stage, naming what to install", async () => {
  const env = await tempEnv();
  const out = await cli(
    [
      "run",
      "experiments/quickstart.ts",
      "--profile",
      "smoke",
      "--backend",
      "webgpu",
      "--store",
      env.store,
      "--results",
      env.results,
    ],
    { DENO_WEBGPU_BACKEND: "metal" }, // no Metal on Linux: wgpu finds no adapter
  ).output();
  assert.equal(out.code, 1);
  assert.match(text(out.stderr), /'webgpu' backend found no usable WebGPU adapter/);
  assert.match(text(out.stderr), /apt-get install mesa-vulkan-drivers/);
  const made = await Deno.stat(env.results).then(() => true, () => false);
  assert.equal(made, false, "no run directory, no stage ran");
});
