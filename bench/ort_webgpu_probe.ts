/**
 * Whether onnxruntime-node's built-in WebGPU execution provider (Dawn) finds an adapter here:
 * runs one 2×3 · 3×2 MatMul on the `webgpu` provider and on `cpu`, and prints the result or the
 * error of each (docs/backends.md, "onnxruntime's own WebGPU provider").
 *
 *   deno run -A bench/ort_webgpu_probe.ts
 */
import { buildModel } from "../src/engine/ort/onnxGraph.ts";

const ort = await import("onnxruntime-node");
const model = buildModel({
  inputs: [{ name: "a", dims: [2, 3] }, { name: "b", dims: [3, 2] }],
  outputs: [{ name: "c", dims: [2, 2] }],
  nodes: [{ op: "MatMul", inputs: ["a", "b"], outputs: ["c"] }],
});
console.log(`onnxruntime-node ${ort.env.versions.node}`);
for (const provider of ["webgpu", "cpu"]) {
  try {
    const session = await ort.InferenceSession.create(model, {
      executionProviders: [provider],
      logSeverityLevel: 3,
    });
    const out = await session.run({
      a: new ort.Tensor("float32", Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]),
      b: new ort.Tensor("float32", Float32Array.from([1, 0, 0, 1, 1, 1]), [3, 2]),
    });
    console.log(
      `${provider}: ok, [${Array.from(out.c!.data as Float32Array)}] (expected [4,5,10,11])`,
    );
  } catch (e) {
    console.log(`${provider}: failed: ${e instanceof Error ? e.message : e}`);
  }
}
