/**
 * The data layer's public surface: in-memory datasets (`Dataset`), loaders (Fashion-MNIST IDX
 * files, image folders, the procedural shapes), deterministic batching and splits, and PNG output.
 * Pure TypeScript over typed arrays; no tensors (the training code converts).
 *
 * Importing this module loads sharp (a native addon: needs --allow-ffi --allow-env --allow-sys).
 * Code that only needs IDX files, the shapes or batching can import those files directly.
 */
export * from "./dataset.ts";
export * from "./errors.ts";
export * from "./rng.ts";
export * from "./idx.ts";
export * from "./idxWrite.ts";
export * from "./fashionMnist.ts";
export * from "./imageFolder.ts";
export * from "./procedural.ts";
export * from "./batching.ts";
export * from "./imageGrid.ts";
