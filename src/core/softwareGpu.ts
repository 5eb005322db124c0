/**
 * Whether any stage of a run computed on a software GPU (Mesa's llvmpipe/lavapipe): stages that
 * select the `webgpu` backend annotate `engine.adapter` (src/stages/engine.ts), and a fallback
 * adapter there means the numbers are right but every timing is CPU-emulation speed. The run's
 * closing lines, summary.md and report.html say so plainly.
 */

/** The description of the first software adapter found in stage annotations, else undefined. */
export const softwareGpuOf = (
  annotations: Iterable<Readonly<Record<string, unknown>> | undefined>,
): string | undefined => {
  for (const a of annotations) {
    const adapter = (a?.engine as { adapter?: unknown } | undefined)?.adapter as
      | { isFallbackAdapter?: unknown; description?: unknown }
      | undefined;
    if (adapter?.isFallbackAdapter === true) {
      return typeof adapter.description === "string" && adapter.description !== ""
        ? adapter.description
        : "a software adapter";
    }
  }
  return undefined;
};

/** The sentence shown wherever a run's results are summarised. */
export const softwareGpuNote = (description: string): string =>
  `Ran on a software GPU (${description}): results are valid, timings are not GPU speed.`;
