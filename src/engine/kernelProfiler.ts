/**
 * Time per kernel name: wraps every kernel registered for a backend with a timer, so one
 * training step shows where its time goes (the bench prints the table; docs/performance.md has
 * its figures). `tf.profile` is async and records per op, not per backend
 * kernel, hence this.
 */
import { tf } from "../tensor/tf.ts";

export interface KernelTiming {
  readonly kernel: string;
  readonly calls: number;
  readonly ms: number;
}

export interface KernelProfile {
  /** Restores the original kernels and returns the timings, slowest first. */
  stop(): KernelTiming[];
}

export function startKernelProfile(backendName: string = tf.getBackend()): KernelProfile {
  const originals = tf.getKernelsForBackend(backendName);
  const stats = new Map<string, { calls: number; ms: number }>();
  for (const k of originals) {
    const inner = k.kernelFunc;
    const s = { calls: 0, ms: 0 };
    stats.set(k.kernelName, s);
    tf.unregisterKernel(k.kernelName, backendName);
    tf.registerKernel({
      ...k,
      kernelFunc: ((args: Parameters<tf.KernelFunc>[0]) => {
        const t0 = performance.now();
        try {
          return inner(args);
        } finally {
          s.ms += performance.now() - t0;
          s.calls++;
        }
      }) as tf.KernelFunc,
    });
  }
  return {
    stop() {
      for (const k of originals) {
        tf.unregisterKernel(k.kernelName, backendName);
        tf.registerKernel(k);
      }
      return [...stats.entries()]
        .filter(([, s]) => s.calls > 0)
        .map(([kernel, s]) => ({ kernel, calls: s.calls, ms: s.ms }))
        .sort((a, b) => b.ms - a.ms);
    },
  };
}
