/**
 * A named parameter store: every model in src/models/ keeps its weights here, as `tf.Variable`s
 * under dotted names ("down.1.res.0.conv1.w"), instead of inside tf.layers objects.
 *
 * What it does: seeded, order-independent initialisation (a parameter's values depend only on the
 * store's seed and the parameter's name, so adding a layer does not reshuffle the others); listing;
 * freezing (the adapter study trains only adapter weights); export/import as plain typed arrays;
 * parameter counts; cloning (teacher → student / fake score in the distillation study); gradients
 * of a loss with respect to the unfrozen parameters, keyed by name.
 * What it does not do: optimisers, EMA, or file I/O (the store/ and training code own those).
 */
import { tf } from "../tensor/tf.ts";
import { fnv1a, mulberry32 } from "../random/seeded.ts";
import { readTensor } from "../tensor/read.ts";

/** How a parameter is initialised. */
export type Init =
  | { readonly kind: "zeros" }
  | { readonly kind: "ones" }
  | { readonly kind: "uniform"; readonly bound: number } // U(-bound, bound)
  | { readonly kind: "normal"; readonly std: number }; // N(0, std²)

/** One parameter as plain data: what `export` returns and `import` takes. */
export interface ParamSnapshot {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}
export type ParamRecord = Record<string, ParamSnapshot>;

/** Selects parameters: a list of exact names, a regular expression on names, or a predicate. */
export type ParamMatch = readonly string[] | RegExp | ((name: string) => boolean);

// ---------------------------------------------------------------------------------------------
// Seeded randomness: FNV-1a hash of (seed, name) → mulberry32 stream → uniform / Box–Muller normal.

/** Initial values of one parameter, a pure function of (seed, name, shape, init). */
export const initValues = (
  seed: number | string,
  name: string,
  shape: readonly number[],
  init: Init,
): Float32Array => {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  switch (init.kind) {
    case "zeros":
      return out;
    case "ones":
      return out.fill(1);
    case "uniform": {
      const rand = mulberry32(fnv1a(`${seed}/${name}`));
      for (let i = 0; i < n; i++) out[i] = (2 * rand() - 1) * init.bound;
      return out;
    }
    case "normal": {
      const rand = mulberry32(fnv1a(`${seed}/${name}`));
      for (let i = 0; i < n; i += 2) {
        const u1 = 1 - rand(); // (0, 1]: log is finite
        const r = Math.sqrt(-2 * Math.log(u1)) * init.std;
        const th = 2 * Math.PI * rand();
        out[i] = r * Math.cos(th);
        if (i + 1 < n) out[i + 1] = r * Math.sin(th);
      }
      return out;
    }
  }
};

const toPredicate = (m: ParamMatch): (name: string) => boolean => {
  if (typeof m === "function") return m;
  if (m instanceof RegExp) return (name) => m.test(name);
  const set = new Set(m);
  return (name) => set.has(name);
};

const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

// ---------------------------------------------------------------------------------------------

export class ParamStore {
  readonly #vars = new Map<string, tf.Variable>(); // insertion order = creation order

  /** `seed` fixes every parameter's initial values (together with its name). */
  constructor(readonly seed: number | string = 0) {}

  /** Creates a trainable parameter; a name may be created once. */
  create(name: string, shape: readonly number[], init: Init): tf.Variable {
    if (this.#vars.has(name)) throw new Error(`parameter "${name}" already exists`);
    if (shape.some((d) => !Number.isInteger(d) || d <= 0)) {
      throw new Error(`parameter "${name}": invalid shape [${shape.join(", ")}]`);
    }
    const v = tf.tidy(() =>
      tf.variable(tf.tensor(initValues(this.seed, name, shape, init), [...shape]), true)
    );
    this.#vars.set(name, v);
    return v;
  }

  /** The parameter `name`; an unknown name is an error (never a silent new parameter). */
  get(name: string): tf.Variable {
    const v = this.#vars.get(name);
    if (v === undefined) throw new Error(`unknown parameter "${name}"`);
    return v;
  }

  has(name: string): boolean {
    return this.#vars.has(name);
  }

  /** All names in creation order. */
  names(): string[] {
    return [...this.#vars.keys()];
  }

  /** Freezes the matching parameters (no gradients, skipped by `trainableVariables`). */
  freeze(match: ParamMatch): void {
    this.#setTrainable(match, false);
  }

  unfreeze(match: ParamMatch): void {
    this.#setTrainable(match, true);
  }

  isFrozen(name: string): boolean {
    return !this.get(name).trainable;
  }

  #setTrainable(match: ParamMatch, trainable: boolean): void {
    const pred = toPredicate(match);
    if (Array.isArray(match)) { for (const n of match) this.get(n); // unknown names are errors
     }
    for (const [name, v] of this.#vars) if (pred(name)) v.trainable = trainable;
  }

  /** Unfrozen names in creation order. */
  trainableNames(): string[] {
    return this.names().filter((n) => this.get(n).trainable);
  }

  /** Unfrozen variables, e.g. the `varList` of `optimizer.minimize`. */
  trainableVariables(): tf.Variable[] {
    return this.trainableNames().map((n) => this.get(n));
  }

  /** Number of scalar parameters (all, or the matching ones). */
  count(match?: ParamMatch): number {
    const pred = match === undefined ? () => true : toPredicate(match);
    let n = 0;
    for (const [name, v] of this.#vars) if (pred(name)) n += v.size;
    return n;
  }

  /** Parameter counts grouped by the first `depth` dotted name segments, one "name: count" per line. */
  summary(depth = 1): string {
    const groups = new Map<string, number>();
    for (const [name, v] of this.#vars) {
      const key = name.split(".").slice(0, depth).join(".");
      groups.set(key, (groups.get(key) ?? 0) + v.size);
    }
    const lines = [...groups].map(([k, n]) => `${k}: ${n.toLocaleString("en-US")}`);
    return [...lines, `total: ${this.count().toLocaleString("en-US")}`].join("\n");
  }

  /** Loss and its gradients with respect to every unfrozen parameter, keyed by parameter name. */
  valueAndGrads(loss: () => tf.Scalar): { value: tf.Scalar; grads: Record<string, tf.Tensor> } {
    const names = this.trainableNames();
    const vars = names.map((n) => this.get(n));
    const { value, grads } = tf.variableGrads(loss, vars);
    const out: Record<string, tf.Tensor> = {};
    for (let i = 0; i < names.length; i++) {
      const g = grads[vars[i]!.name];
      if (g !== undefined) out[names[i]!] = g;
    }
    return { value, grads: out };
  }

  /** A copy of every parameter's values (plain arrays, safe to keep after `dispose`). */
  async export(): Promise<ParamRecord> {
    const out: ParamRecord = {};
    for (const [name, v] of this.#vars) {
      out[name] = { shape: [...v.shape], data: Float32Array.from(await readTensor(v)) };
    }
    return out;
  }

  /**
   * Overwrites parameter values from a record. By default the record must match the store
   * exactly (same names, same shapes); `allowMissing` keeps parameters absent from the record
   * (e.g. fresh adapter weights), `allowExtra` ignores record entries the store lacks.
   */
  import(
    record: ParamRecord,
    options: { readonly allowMissing?: boolean; readonly allowExtra?: boolean } = {},
  ): void {
    const problems: string[] = [];
    for (const name of Object.keys(record)) {
      if (!this.#vars.has(name) && options.allowExtra !== true) {
        problems.push(`"${name}" is not a parameter of this model`);
      }
    }
    for (const [name, v] of this.#vars) {
      const snap = record[name];
      if (snap === undefined) {
        if (options.allowMissing !== true) problems.push(`"${name}" is missing`);
      } else if (!sameShape(snap.shape, v.shape)) {
        problems.push(`"${name}" has shape [${snap.shape}] but the model expects [${v.shape}]`);
      } else if (snap.data.length !== v.size) {
        problems.push(`"${name}" has ${snap.data.length} values for shape [${v.shape}]`);
      }
    }
    if (problems.length > 0) {
      throw new Error(`cannot import parameters:\n  - ${problems.join("\n  - ")}`);
    }
    for (const [name, v] of this.#vars) {
      const snap = record[name];
      if (snap !== undefined) tf.tidy(() => v.assign(tf.tensor(snap.data, [...snap.shape])));
    }
  }

  /** An independent copy (new variables, same values, same frozen flags, same seed). */
  clone(): ParamStore {
    const copy = new ParamStore(this.seed);
    for (const [name, v] of this.#vars) {
      copy.#vars.set(name, tf.tidy(() => tf.variable(v.clone(), v.trainable)));
    }
    return copy;
  }

  /** Frees every variable; the store is empty afterwards. */
  dispose(): void {
    for (const v of this.#vars.values()) v.dispose();
    this.#vars.clear();
  }
}
