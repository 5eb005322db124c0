/**
 * Can the adapter design see its own factors? Measured on the frozen base before any tuning
 * (docs/methods.md#adapters), on one fixed batch of (x0, ε, t, class) of the target domain:
 *
 *   per site and position   read:  RMS of the activation an adapter reading there sees
 *                           write: ‖∂L/∂h‖ — the loss gradient reaching an addition at the
 *                                  position (output positions only), and the relative change of
 *                                  the model output when a fixed random perturbation of
 *                                  `perturbation` × RMS(h) is added there
 *   per valid pair          the gradient norm of a freshly initialised adapter's weights at step 0
 *                           (what tuning's first step sees, before clipping), and the relative
 *                           output change the adapter makes at scale 1 and at `raisedScale`
 *
 * L is the base's own objective, unweighted: mean((target − output)²). A position whose
 * gradient and output change are ~0 cannot be told apart from "no adapter" by any ANOVA.
 */
import { tf } from "../tensor/tf.ts";
import { takeScalar as take } from "../tensor/read.ts";
import { diffusionLoss, type ModelForward } from "../train/diffusionLoss.ts";
import type { Schedule } from "../diffusion/schedules.ts";
import type { Target } from "../diffusion/targets.ts";
import { makeRng } from "../diffusion/rng.ts";
import { qSample } from "../diffusion/noising.ts";
import {
  type Adapter,
  type Hooks,
  type HookSite,
  OUTPUT_POSITIONS,
  type OutputPosition,
  type Position,
} from "../models/hooks.ts";
import { adapterHooks, type AdapterSpec, initAdapters, validPairs } from "../models/adapters.ts";
import type { UNetConfig } from "../models/unet.ts";
import { ParamStore } from "../models/params.ts";

/** A UNet forward with hooks, as `Denoiser.forward` with options. */
export type HookedForward = (
  x: tf.Tensor4D,
  t: tf.Tensor1D,
  labels: tf.Tensor1D | undefined,
  hooks: Hooks | undefined,
) => tf.Tensor4D;

export interface SensitivityBatch {
  /** [B, H, W, C] clean images in [-1, 1]. */
  readonly x0: tf.Tensor4D;
  /** [B, H, W, C] standard normal noise. */
  readonly eps: tf.Tensor4D;
  readonly t: Int32Array;
  /** [B] int32 class labels, or undefined for an unconditional pass. */
  readonly labels: tf.Tensor1D | undefined;
}

export interface PositionSensitivity {
  readonly site: string;
  readonly position: Position;
  readonly activationRms: number;
  /** ‖∂L/∂h‖ (Frobenius, whole batch); null where the position is not an output position. */
  readonly gradNorm: number | null;
  /** RMS(Δoutput) / RMS(output) for the random perturbation; null as gradNorm. */
  readonly outputChange: number | null;
}

export interface PairSensitivity {
  readonly input: Position;
  readonly output: OutputPosition;
  /** ‖∇θ L‖ over the fresh adapter's weights at scale 1. */
  readonly gradNorm: number;
  /** RMS(Δoutput) / RMS(output) with the fresh adapter at scale 1. */
  readonly outputChange: number;
  /** The same at `raisedScale`. */
  readonly outputChangeRaised: number;
}

export interface SensitivityOptions {
  readonly schedule: Schedule;
  readonly target: Target;
  /** Relative size of the random perturbation at each output position. */
  readonly perturbation: number;
  readonly raisedScale: number;
  /** The adapter's function form for the pair rows (input and output are set per pair). */
  readonly adapter: Pick<AdapterSpec, "activation" | "rank">;
  /** Seeds the adapters' initial weights (as tuning does) and the perturbation directions. */
  readonly seed: number;
  /** Pairs to measure; default every valid pair. */
  readonly pairs?: readonly { input: Position; output: OutputPosition }[];
}

export interface Sensitivity {
  readonly baseLoss: number;
  readonly positions: PositionSensitivity[];
  readonly pairs: PairSensitivity[];
}

// Numbers stay on the device as scalar tensors until one async read (src/tensor/read.ts), so the
// measurement runs on webgpu as well.
export const rms = (x: tf.Tensor): tf.Scalar => tf.tidy(() => tf.sqrt(tf.mean(tf.square(x))));
const norm = (x: tf.Tensor): tf.Scalar => tf.tidy(() => tf.sqrt(tf.sum(tf.square(x))));

/** RMS(a − b) / RMS(b). */
const relativeChange = (a: tf.Tensor, b: tf.Tensor): tf.Scalar =>
  tf.tidy(() => tf.div(rms(tf.sub(a, b)), tf.maximum(rms(b), 1e-12)));

const unitWeights = (schedule: Schedule) => new Float64Array(schedule.T).fill(1);

const key = (site: string, position: Position) => `${site}/${position}`;

/** Adds `delta(site)` at `position` of every site that has one (read = write = position). */
const additiveHooks = (
  position: OutputPosition,
  delta: (site: HookSite) => tf.Tensor | undefined,
): Adapter => ({
  input: position,
  output: position,
  fn: (read, site) => delta(site) ?? tf.zerosLike(read),
  where: (site) => delta(site) !== undefined,
});

/** Measures what every position and pair can do on `batch`, on the frozen base `forward`. */
export const measureSensitivity = async (
  forward: HookedForward,
  config: UNetConfig,
  sites: readonly HookSite[],
  batch: SensitivityBatch,
  o: SensitivityOptions,
): Promise<Sensitivity> => {
  const siteNames = new Set(sites.map((s) => s.name));
  const weights = unitWeights(o.schedule);
  const lossOf = (hooks: Hooks | undefined): tf.Scalar =>
    diffusionLoss(asForward(forward, hooks), batch, o.schedule, o.target, weights).loss;
  const outputOf = (hooks: Hooks | undefined): tf.Tensor4D =>
    tf.tidy(() => {
      const xt = qSample(batch.x0, batch.eps, batch.t, o.schedule) as tf.Tensor4D;
      return forward(xt, tf.tensor1d(Float32Array.from(batch.t)), batch.labels, hooks);
    });

  // 1. the activations at every position (read signal) and their shapes
  const shapes = new Map<string, number[]>();
  const readTensors = new Map<string, tf.Scalar>();
  tf.tidy(() => {
    outputOf({
      onActivation: (site, position, a) => {
        if (!siteNames.has(site.name)) return;
        shapes.set(key(site.name, position), a.shape.slice());
        readTensors.set(key(site.name, position), tf.keep(rms(a)));
      },
    });
  });
  const reads = new Map<string, number>();
  for (const [k, t] of readTensors) reads.set(k, await take(t));
  const base = outputOf(undefined);
  const baseLoss = await take(tf.tidy(() => lossOf(undefined)));

  // 2. ∂L/∂h at every output position of every site: zero additions, one backward pass
  const deltas = new ParamStore(0);
  for (const site of sites) {
    for (const position of OUTPUT_POSITIONS) {
      const shape = shapes.get(key(site.name, position));
      if (shape !== undefined) deltas.create(key(site.name, position), shape, { kind: "zeros" });
    }
  }
  const deltaAt = (position: OutputPosition) => (site: HookSite) =>
    deltas.has(key(site.name, position)) ? deltas.get(key(site.name, position)) : undefined;
  const gradNormTensors = tf.tidy(() => {
    const { value, grads } = deltas.valueAndGrads(() =>
      lossOf({ adapters: OUTPUT_POSITIONS.map((p) => additiveHooks(p, deltaAt(p))) })
    );
    value.dispose();
    return Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, norm(g)]));
  });
  const gradNorms: Record<string, number> = {};
  for (const [k, t] of Object.entries(gradNormTensors)) gradNorms[k] = await take(t);
  deltas.dispose();

  // 3. output change for a random perturbation of `perturbation` × RMS(h) at each position
  const rng = makeRng(o.seed);
  const changes = new Map<string, number>();
  for (const site of sites) {
    for (const position of OUTPUT_POSITIONS) {
      const k = key(site.name, position);
      const shape = shapes.get(k);
      if (shape === undefined) continue;
      const size = shape.reduce((a, b) => a * b, 1);
      const scale = o.perturbation * reads.get(k)!;
      const noise = rng.normal(size);
      changes.set(
        k,
        await take(tf.tidy(() => {
          const u = tf.mul(tf.tensor(noise, shape), scale);
          const only = (s: HookSite) => (s.name === site.name ? u : undefined);
          return relativeChange(outputOf({ adapters: [additiveHooks(position, only)] }), base);
        })),
      );
    }
  }

  const positions: PositionSensitivity[] = [];
  for (const site of sites) {
    for (const [k, activationRms] of reads) {
      const [s, position] = k.split("/") as [string, Position];
      if (s !== site.name) continue;
      positions.push({
        site: s,
        position,
        activationRms,
        gradNorm: gradNorms[k] ?? null,
        outputChange: changes.get(k) ?? null,
      });
    }
  }

  // 4. every pair with a freshly initialised adapter, as tuning starts it
  const pairs: PairSensitivity[] = [];
  for (const { input, output } of o.pairs ?? validPairs()) {
    const spec: AdapterSpec = { input, output, scale: 1, ...o.adapter };
    const store = initAdapters(config, spec, o.seed);
    const hooks = adapterHooks(store, config, spec);
    const raised = adapterHooks(store, config, { ...spec, scale: o.raisedScale });
    const row = tf.tidy(() => {
      const { value, grads } = store.valueAndGrads(() => lossOf(hooks));
      value.dispose();
      const squares = Object.values(grads).map((t) => tf.sum(tf.square(t)));
      return {
        // [] when the adapter has no weights: a zero norm
        gradNorm: tf.sqrt(squares.length > 0 ? tf.addN(squares) : tf.scalar(0)) as tf.Scalar,
        outputChange: relativeChange(outputOf(hooks), base),
        outputChangeRaised: relativeChange(outputOf(raised), base),
      };
    });
    store.dispose();
    pairs.push({
      input,
      output,
      gradNorm: await take(row.gradNorm),
      outputChange: await take(row.outputChange),
      outputChangeRaised: await take(row.outputChangeRaised),
    });
  }
  base.dispose();
  return { baseLoss, positions, pairs };
};

const asForward = (forward: HookedForward, hooks: Hooks | undefined): ModelForward => (x, t, y) =>
  forward(x, t, y, hooks);
