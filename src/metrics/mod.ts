/**
 * Evaluation metrics of diffrun in pure TypeScript (docs/methods.md#weightings and #fd-clf): dense
 * symmetric linear algebra, the Fréchet distance in a classifier's feature space (FD-clf), class
 * histogram metrics, per-timestep-bin losses with a fixed evaluation set, and k-NN precision/recall.
 * The caller extracts features with its own network; nothing here touches tensors. This file only
 * re-exports the modules.
 */
export * from "./errors.ts";
export * from "./linalg.ts";
export * from "./jacobi.ts";
export * from "./frechet.ts";
export * from "./classes.ts";
export * from "./timestepBins.ts";
export * from "./precisionRecall.ts";
