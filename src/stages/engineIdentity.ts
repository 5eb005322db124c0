/**
 * The engine identity that enters the keys of engine-sensitive stages, computed at plan time
 * without loading any backend: the backend name and the versions of the libraries that compute
 * (pinned in deno.json, so this is what will run).
 */
import { BACKEND_CHOICES } from "../engine/backend.ts";

const pinned = (() => {
  try {
    const imports =
      JSON.parse(Deno.readTextFileSync(new URL("../../deno.json", import.meta.url))).imports ?? {};
    const version = (spec: string | undefined) => spec?.match(/@([\d.]+[^/]*)$/)?.[1] ?? "unknown";
    return {
      tfjs: version(imports["@tensorflow/tfjs"]),
      "onnxruntime-node": version(imports["onnxruntime-node"]),
    };
  } catch {
    return { tfjs: "unknown", "onnxruntime-node": "unknown" };
  }
})();

export const engineIdentity = (backend: string): Record<string, unknown> => {
  if (!(BACKEND_CHOICES as readonly string[]).includes(backend)) {
    throw new Error(`unknown backend "${backend}"; expected one of ${BACKEND_CHOICES.join(", ")}`);
  }
  return backend === "ort" ? { backend, ...pinned } : { backend, tfjs: pinned.tfjs };
};
