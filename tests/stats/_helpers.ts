/** Tolerance asserts and a seeded generator for the statistics tests. */
export { assertClose } from "../helpers/assert.ts";
export { testRng } from "../helpers/random.ts";
