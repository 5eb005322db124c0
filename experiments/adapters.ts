/**
 * The adapter design space (docs/adapters.md) on Fashion-MNIST. Target task (a), rotated by 90°:
 *
 *   deno task diffrun run experiments/adapters.ts --profile quick
 *
 * Target task (b), a held-out class learned as a new concept (DreamBooth-style):
 *
 *   deno task diffrun run experiments/adapters.ts --profile concept
 *
 * The quick grid with successive halving (docs/halving.md): every arm tuned 25 steps, the best
 * third goes on to 50, the best third of those to 100:
 *
 *   deno task diffrun run experiments/adapters.ts --profile quick-halving
 *
 * Every profile sweeps the full input × output grid and asks to skip the invalid pairs
 * (`invalidPairs: "skip"`); adding a value to any axis runs only the new arms, e.g.
 *   … --profile quick -p 'scale=[1,4,2]'
 */
import { defineExperiment } from "../src/core/experiment.ts";
import { adaptersPipeline } from "../pipelines/adapters.ts";
import { INPUT_POSITIONS, OUTPUT_POSITIONS } from "../src/models/hooks.ts";

const everyInput = [...INPUT_POSITIONS];
const everyOutput = [...OUTPUT_POSITIONS];

/** Four pairs spread over the block, each with three other activations and a larger scale. */
const variations = [
  ["Res_out", "Res_out"],
  ["SA_in", "CA_in"],
  ["CA_c", "CA_c"],
  ["CA_out", "FFN_in"],
].flatMap(([input, output]) =>
  [
    { activation: "relu", scale: 1 },
    { activation: "sigmoid", scale: 1 },
    { activation: "identity", scale: 1 },
    { activation: "silu", scale: 4 },
  ].map((v) => ({ input, output, ...v }))
);

/** The quick profile's settings (also the base and target domain that `sensitivity` measures). */
const quickParams = {
  pretrainSteps: 700,
  pretrainBatch: 32,
  tuneImages: 2000,
  evalImages: 1000,
  tuneSteps: 100,
  tuneBatch: 16,
  // 100 steps at the paper's 1e-4 barely move an adapter; both adapters and the full
  // fine-tune get 1e-3 (the base's own pretraining lr)
  tuneLr: 1e-3,
  fullLr: 1e-3,
  triples: 256,
  classifierSteps: 200,
  top: 3,
  samples: 128,
  samplerSteps: 20,
};

/** The smoke profiles' settings: seconds, on procedural shapes (no dataset needed). */
const smokeParams = {
  data: { source: "shapes", n: 120, size: 8, channels: 1 } as const,
  model: {
    kind: "unet" as const,
    widths: [8, 16],
    resBlocksPerLevel: 1,
    attentionLevels: [] as number[],
    middle: "transformer" as const,
    headDim: 8,
    contextDim: 8,
    zeroInit: false,
  },
  pretrainSteps: 4,
  pretrainBatch: 8,
  tuneImages: 40,
  evalImages: 24,
  tuneSteps: 2,
  tuneBatch: 8,
  triples: 16,
  classifierSteps: 3,
  top: 2,
  samples: 8,
  samplerSteps: 2,
};
const { tuneImages: _smokeTuneImages, ...smokeConceptShared } = smokeParams;
const smokeGrid = {
  input: ["CA_out", "Res_out", "SA_in"],
  output: ["FFN_in", "Res_out"],
  scale: [1],
};

/** Halving over the tuning steps: arms ranked by target MSE at 25, 50 and 100 steps. */
const halving = {
  metric: "eval.targetMse",
  mode: "min" as const,
  rungs: [25, 50, 100],
  keep: 1 / 3,
};

/** The quick profile's settings that target (b) shares (it learns from `shots`, not tuneImages). */
const { tuneImages: _tuneImages, ...conceptShared } = quickParams;

export default defineExperiment({
  name: "adapters",
  description: "Adapter positions × function forms on a frozen conditional UNet, ANOVA and report",
  pipeline: adaptersPipeline,
  seed: 0,
  defaultProfile: "quick",
  params: { invalidPairs: "skip", shift: "rotate90" },
  profiles: {
    /** Seconds, on procedural shapes (no dataset needed): what the test suite runs. */
    smoke: {
      params: smokeParams,
      sweep: { grid: smokeGrid },
    },
    /**
     * Sized for about 40 minutes on 2 cores with three seeds (docs/adapters.md): every valid pair
     * (28) with SiLU at scale 1, plus 16 arms that vary activation and scale on four pairs spread
     * over the block (an unbalanced design; the main-effects ANOVA uses Type II sums of squares).
     * 44 arms, each tuned 50 steps on one shared base; `-p tuneSteps=100` tunes to 100.
     */
    quick: {
      // three seeds per arm: verdicts need an interval (docs/replicates.md)
      replicates: 3,
      params: { ...quickParams, tuneSteps: 50 },
      sweep: {
        grid: { input: everyInput, output: everyOutput, activation: ["silu"], scale: [1] },
        include: variations,
      },
    },
    /**
     * The quick grid with successive halving (docs/halving.md): 44 arms tuned 25 steps, the best
     * third (15) to 50, the best third of those (5) to 100, in cached segments of 25 steps; the
     * report covers the 5 survivors, halving.json and the rung chart every arm.
     * `--extend <arm>` continues a stopped arm; `-p halving=off` tunes every arm to 100 steps.
     */
    "quick-halving": {
      replicates: 3,
      params: { ...quickParams, tuneSegmentSteps: 25 },
      sweep: {
        grid: { input: everyInput, output: everyOutput, activation: ["silu"], scale: [1] },
        include: variations,
        halving,
      },
    },
    /** The smoke grid with halving at 1 → 2 → 4 tuning steps (the test suite runs it). */
    "smoke-halving": {
      params: { ...smokeParams, tuneSegmentSteps: 1 },
      sweep: { grid: smokeGrid, halving: { ...halving, rungs: [1, 2, 4], keep: 1 / 2 } },
    },
    /**
     * The quick profile's base and target domain with one adapter arm and everything else at its
     * minimum: what `adapter-sensitivity` measures on the quick base (shared with, and cached
     * for, a later quick run), in the time pretraining takes.
     */
    sensitivity: {
      params: {
        ...quickParams,
        tuneSteps: 1,
        classifierSteps: 1,
        top: 0,
        samples: 2,
        samplerSteps: 1,
      },
      sweep: { grid: { input: ["Res_out"], output: ["Res_out"], scale: [1] } },
    },
    /** Target (b) in seconds on procedural shapes (the test suite runs it). */
    "concept-smoke": {
      params: { ...smokeConceptShared, task: "concept", concept: 2, shots: 4, priorImages: 16 },
      sweep: { grid: { input: ["CA_c", "CA_out", "SA_in"], output: ["CA_c", "FFN_in"] } },
    },
    /**
     * Target (b), DreamBooth-style, at the size of `quick`: "Bag" (class 8) held out of
     * pretraining and learned from 8 images under its unseen token, with 400 prior images; every
     * valid pair with SiLU at scale 1 (28 arms).
     */
    concept: {
      params: {
        ...conceptShared,
        task: "concept",
        concept: 8,
        shots: 8,
        priorImages: 400,
      },
      sweep: {
        grid: { input: everyInput, output: everyOutput, activation: ["silu"], scale: [1] },
      },
    },
    /** The whole design: every valid pair × every activation × every scale (448 arms). */
    full: {
      params: {
        pretrainSteps: 20000,
        pretrainBatch: 64,
        tuneImages: 5000,
        tuneSteps: 1000,
        tuneBatch: 64,
        triples: 2000,
        classifierSteps: 1000,
        top: 10,
        samples: 2000,
        samplerSteps: 50,
      },
      sweep: {
        grid: {
          input: everyInput,
          output: everyOutput,
          activation: ["relu", "sigmoid", "silu", "identity"],
          scale: [0.5, 1, 2, 4],
        },
      },
    },
  },
});
