/**
 * The cache key of a stage instance: one small, pure function over commented ingredients.
 *
 * key = sha256(canonical JSON of KeyComponents). Upstream keys are ingredients, so keys chain
 * like a Merkle tree: a change anywhere upstream changes every key downstream of it.
 *
 * Deliberately NOT in the key: the experiment's name, the arm's id or position, the run
 * directory, timestamps, the store location, `--jobs` and thread counts (a stage's numbers must
 * not depend on them), and params the stage does not take (each stage sees only its own).
 */
import { createHash } from "node:crypto";
import { canonicalize, canonicalJson, type Json } from "./canonicalJson.ts";

/** Bumped whenever the meaning of a key changes; every key contains it. */
export const KEY_VERSION = "diffrun-key-1";

export interface KeyComponents {
  /** KEY_VERSION at the time the key was made. */
  readonly keyVersion: string;
  /** The stage's declared name and its hand-bumped version string. */
  readonly stage: { readonly name: string; readonly version: string };
  /** sha256 of the stage module and its local imports, comments stripped (sourceHash.ts). */
  readonly code: string;
  /** The params after valibot parsing: defaults filled, keys sorted, numbers normalised. */
  readonly params: Json;
  /** Input name -> upstream key. */
  readonly inputs: { readonly [name: string]: string };
  /** The derived seed; null for stages declared `seeded: false`. */
  readonly seed: number | null;
  /** Engine identity (backend, library versions) for `engineSensitive` stages; else null. */
  readonly engine: Json | null;
}

export const sha256Hex = (text: string): string => createHash("sha256").update(text).digest("hex");

export const makeKeyComponents = (ingredients: {
  readonly name: string;
  readonly version: string;
  readonly code: string;
  readonly params: unknown;
  readonly inputs: Readonly<Record<string, string>>;
  readonly seed: number | null;
  readonly engine: unknown;
}): KeyComponents => ({
  keyVersion: KEY_VERSION,
  stage: { name: ingredients.name, version: ingredients.version },
  code: ingredients.code,
  params: canonicalize(ingredients.params),
  inputs: { ...ingredients.inputs },
  seed: ingredients.seed,
  engine: ingredients.engine === null ? null : canonicalize(ingredients.engine),
});

export const cacheKey = (components: KeyComponents): string => sha256Hex(canonicalJson(components));

/**
 * A stage instance's seed: derived from the experiment seed and the instance's identity (its
 * stage, params and inputs), never from the arm's position, so adding an arm leaves every other
 * arm's numbers unchanged. 31 bits, so every RNG that takes an int accepts it.
 */
export const deriveStageSeed = (experimentSeed: number, identity: {
  readonly name: string;
  readonly params: unknown;
  readonly inputs: Readonly<Record<string, string>>;
}): number => {
  const digest = sha256Hex(canonicalJson({ experimentSeed, ...identity }));
  return parseInt(digest.slice(0, 8), 16) & 0x7fffffff;
};

/** Names of the components that differ between two keys' ingredients (for `diffrun explain`). */
export const diffComponents = (a: KeyComponents, b: KeyComponents): string[] => {
  const changed: string[] = [];
  const same = (x: unknown, y: unknown) => canonicalJson(x) === canonicalJson(y);
  if (a.keyVersion !== b.keyVersion) changed.push("keyVersion");
  if (!same(a.stage, b.stage)) changed.push("stage");
  if (a.code !== b.code) changed.push("code");
  if (!same(a.params, b.params)) changed.push("params");
  if (!same(a.inputs, b.inputs)) changed.push("inputs");
  if (a.seed !== b.seed) changed.push("seed");
  if (!same(a.engine, b.engine)) changed.push("engine");
  return changed;
};
