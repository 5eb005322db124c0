/**
 * Test helpers: seeded random inputs, running one computation on `cpu` and on `ort`, and the
 * relative error used by every kernel check (max |a − b| / max |b|).
 */
import { tf } from "../../src/tensor/tf.ts";
import { selectBackend } from "../../src/engine/backend.ts";
import { ortThresholds, setOrtThresholds } from "../../src/engine/ort/kernels/util.ts";

/** Uniform in [-1, 1), reproducible (the tests' seeded generator). */
export { uniformArray as randomArray } from "../helpers/random.ts";

export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0, scale = 1e-12;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

/** Runs `fn` with every ORT size threshold at 0 (all kernels on ORT), then restores them. */
export function everythingOnOrt<T>(fn: () => T): T {
  const saved = ortThresholds();
  setOrtThresholds({ sameShapeElements: 0, broadcastElements: 0, moveElements: 0, flops: 0 });
  try {
    return fn();
  } finally {
    setOrtThresholds(saved);
  }
}

/** Runs `fn` on `cpu`, then on `ort` with every size threshold at 0 (always ORT). */
export async function onBoth(
  fn: () => tf.Tensor | tf.Tensor[],
): Promise<{ cpu: Float32Array[]; ort: Float32Array[] }> {
  const run = () => {
    const out = tf.tidy(fn);
    const list = Array.isArray(out) ? out : [out];
    const arrays = list.map((t) => Float32Array.from(t.dataSync()));
    tf.dispose(list);
    return arrays;
  };
  await selectBackend("cpu");
  const cpu = run();
  await selectBackend("ort", { threads: 2 });
  const ort = everythingOnOrt(run);
  return { cpu, ort };
}

/** Asserts every output of `onBoth` agrees within `tol` relative error; returns the worst. */
export async function assertSame(
  label: string,
  fn: () => tf.Tensor | tf.Tensor[],
  tol = 1e-4,
): Promise<number> {
  const { cpu, ort } = await onBoth(fn);
  let worst = 0;
  cpu.forEach((c, k) => {
    const e = relError(ort[k]!, c);
    worst = Math.max(worst, e);
    if (!(e < tol)) {
      throw new Error(`${label}: output ${k} differs, relative error ${e.toExponential(2)}`);
    }
  });
  return worst;
}
