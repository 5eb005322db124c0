/**
 * Which backend a run uses, and why: `--backend` beats `DIFFRUN_BACKEND`, which beats the
 * experiment's `backend` field; with none of them the choice is `auto`. `auto` means WebGPU on a
 * hardware adapter, otherwise `ort` (a software adapter such as llvmpipe is far slower than
 * onnxruntime on the CPU). The reason goes into the run's first line and its manifest.
 *
 * An explicit `webgpu` without an adapter fails here, before anything runs. The choice is made
 * once, before planning, so every cache key names the concrete backend: an
 * `auto` run is keyed exactly like a run that asked for what `auto` picked.
 */
import { type AdapterProbe, probeAdapter } from "./webgpuAdapter.ts";
import { WebgpuUnavailableError } from "./errors.ts";

export const AUTO_BACKEND = "auto";

/** Where the requested name came from, in the words a user would recognise. */
export type BackendSource = "--backend" | "DIFFRUN_BACKEND" | "experiment field" | "default";

export interface BackendChoice {
  /** A concrete backend name (never `auto`). */
  readonly backend: string;
  readonly requested: string;
  readonly source: BackendSource;
  readonly reason: string;
}

/** Resolves `requested` (possibly `auto`); `probe` is injectable for tests. */
export const chooseBackend = async (
  requested: string,
  source: BackendSource,
  probe: () => Promise<AdapterProbe> = probeAdapter,
): Promise<BackendChoice> => {
  if (requested === "webgpu") {
    // fail before planning, so that nothing runs (not even the CPU-only stages) without a GPU
    const found = await probe();
    if (!found.found) throw new WebgpuUnavailableError(found.reason);
  }
  if (requested !== AUTO_BACKEND) {
    return { backend: requested, requested, source, reason: `${source} asked for ${requested}` };
  }
  const found = await probe();
  const auto = (backend: string, why: string): BackendChoice => ({
    backend,
    requested,
    source,
    reason: `auto: ${why}`,
  });
  if (!found.found) return auto("ort", `no WebGPU adapter (${found.reason}), using ort`);
  const name = found.adapter.description || `vendor ${found.adapter.vendor}`;
  return found.adapter.isFallbackAdapter
    ? auto("ort", `the only WebGPU adapter is a software one (${name}), using ort`)
    : auto("webgpu", `hardware WebGPU adapter ${name}`);
};
