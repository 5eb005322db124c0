/**
 * The pure diffusion core of diffrun: schedules, prediction targets, loss weightings, the
 * denoiser interface, samplers, the forward process and the seeded RNG. One module per concern;
 * this file only re-exports them.
 */
export * from "./errors.ts";
export * from "./rng.ts";
export * from "./schedules.ts";
export * from "./targets.ts";
export * from "./weightings.ts";
export * from "./noising.ts";
export * from "./denoiser.ts";
export * from "./spacing.ts";
export * from "./samplers.ts";
