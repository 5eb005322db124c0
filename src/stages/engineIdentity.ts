/**
 * The engine identity that enters the keys of engine-sensitive stages, computed at plan time
 * without loading any backend: the backend name and the versions of the libraries that compute
 * (pinned in package.json, so this is what will run). The JavaScript runtime (Deno or Bun) is
 * not part of it: see docs/bun.md.
 */
import { BACKEND_CHOICES } from "../engine/backend.ts";
import { fileURLToPath } from "node:url";
import { pinnedDependencies } from "../core/dependencies.ts";

const pinned = (() => {
  const deps = pinnedDependencies(fileURLToPath(new URL("../..", import.meta.url)));
  return {
    tfjs: deps["@tensorflow/tfjs"] ?? "unknown",
    "onnxruntime-node": deps["onnxruntime-node"] ?? "unknown",
    "tfjs-backend-webgpu": deps["@tensorflow/tfjs-backend-webgpu"] ?? "unknown",
  };
})();

export const engineIdentity = (backend: string): Record<string, unknown> => {
  if (!(BACKEND_CHOICES as readonly string[]).includes(backend)) {
    throw new Error(`unknown backend "${backend}"; expected one of ${BACKEND_CHOICES.join(", ")}`);
  }
  if (backend === "auto") throw new Error(`backend "auto" must be resolved before planning`);
  if (backend === "ort") {
    return { backend, tfjs: pinned.tfjs, "onnxruntime-node": pinned["onnxruntime-node"] };
  }
  if (backend === "webgpu") {
    return { backend, tfjs: pinned.tfjs, "tfjs-backend-webgpu": pinned["tfjs-backend-webgpu"] };
  }
  return { backend, tfjs: pinned.tfjs };
};
