/**
 * The adapter design space (SPEC.md section 2) on Fashion-MNIST, target task (a): rotated by 90°.
 *
 *   deno task diffrun run experiments/adapters.ts --profile quick
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
      params: {
        data: { source: "shapes", n: 120, size: 8, channels: 1 },
        model: {
          kind: "unet",
          widths: [8, 16],
          resBlocksPerLevel: 1,
          attentionLevels: [],
          middle: "transformer",
          headDim: 8,
          contextDim: 8,
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
      },
      sweep: {
        grid: { input: ["CA_out", "Res_out", "SA_in"], output: ["FFN_in", "Res_out"], scale: [1] },
      },
    },
    /**
     * Every valid pair (28) × {SiLU, identity} × scale {1, 4} would be 112 arms; on this 2-core
     * machine `quick` runs every pair with two (activation, scale) settings (see README).
     */
    quick: {
      params: {
        pretrainSteps: 1500,
        tuneImages: 2000,
        tuneSteps: 100,
        tuneBatch: 32,
        tuneLr: 1e-3,
        fullLr: 1e-4,
        triples: 500,
        classifierSteps: 300,
        samples: 256,
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
