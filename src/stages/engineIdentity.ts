/**
 * The engine identity that enters the keys of engine-sensitive stages, computed at plan time
 * without loading any backend: the backend name and the versions of the libraries that compute
 * (pinned in deno.json, so this is what will run).
 */
import { BACKEND_CHOICES } from "../engine/backend.ts";
import * as fsys from "../platform/fs.ts";

const pinned = (() => {
  try {
    const imports =
      JSON.parse(fsys.readTextFileSync(new URL("../../deno.json", import.meta.url))).imports ?? {};
    const version = (spec: string | undefined) => spec?.match(/@([\d.]+[^/]*)$/)?.[1] ?? "unknown";
    return {
      tfjs: version(imports["@tensorflow/tfjs"]),
      "onnxruntime-node": version(imports["onnxruntime-node"]),
      "tfjs-backend-webgpu": version(imports["@tensorflow/tfjs-backend-webgpu"]),
    };
  } catch {
    return { tfjs: "unknown", "onnxruntime-node": "unknown", "tfjs-backend-webgpu": "unknown" };
  }
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
