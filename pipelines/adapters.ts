/**
 * The adapter design-space study (docs/adapters.md, docs/methods.md#adapters): one arm per adapter (input position,
 * output position, activation, scale, bottleneck), all tuned from one cached pretrained base on
 * the same target domain with identical batches, t draws and noise.
 *
 *   dataset ─ init-diffusion ─ train-diffusion (conditional base with a transformer block; shared)
 *      └─ adapter-target-domain (shifted copy: rotated / inverted; shared)
 *            ├─ classifier (FD-clf features on the target domain; shared)
 *            ├─ adapter-sensitivity (what each position can do before tuning; shared)
 *            ├─ adapter-tune per arm ─ adapter-eval (target MSE on fixed triples)
 *            └─ adapter-tune full / frozen baselines ─ adapter-eval (shared by every arm)
 *   across arms: adapter-samples (FD-clf of the top arms and both baselines, difference images)
 *                ─ adapter-report (heat map, bars, ANOVA, top-10, sensitivity, verdict)
 *
 * An invalid (input, output) pair is a plan error naming the pair; a sweep over the full
 * input × output grid asks to drop invalid pairs with `invalidPairs: "skip"` (those arms then
 * declare no stages).
 */
import * as v from "valibot";
import { definePipeline, type Handle } from "../src/core/pipeline.ts";
import { InvalidCombination } from "../src/core/plan.ts";
import { replicateArmId } from "../src/core/replicates.ts";
import {
  addDataset,
  addDiffusionTraining,
  addFeatureClassifier,
  StudyDataParam,
} from "../src/stages/studyBlocks.ts";
import { ModelSpecSchema } from "../src/stages/models.ts";
import { engineIdentity } from "../src/stages/engineIdentity.ts";
import { checkAdapterPair, POSITIONS } from "../src/models/hooks.ts";
import { ACTIVATIONS } from "../src/models/adapters.ts";
import { SHIFTS, targetDomainStage } from "../src/studies/adapterData.ts";
import { conceptDataStage } from "../src/studies/adapterConcept.ts";
import { type AdapterTuneParams, adapterTuneStage } from "../src/studies/adapterTuning.ts";
import { type AdapterEval, adapterEvalStage } from "../src/studies/adapterEval.ts";
import type { TunedBundle } from "../src/studies/adapterModel.ts";
import type { DatasetSplits, ModelBundle } from "../src/stages/codecs.ts";
import type { ClassifierBundle } from "../src/stages/classifier.ts";
import type { TrainedConfig } from "../src/stages/trainDiffusion.ts";
import { adapterSamplesStage, FROZEN_ARM, FULL_ARM } from "../src/studies/adapterSamples.ts";
import { adapterReportStage } from "../src/studies/adapterReport.ts";
import {
  type AdapterSensitivity,
  adapterSensitivityStage,
} from "../src/studies/adapterSensitivityStage.ts";
import { Int, Positive } from "../src/core/schemas.ts";

export const adaptersPipeline = definePipeline({
  name: "adapters",
  module: import.meta.url,
  params: v.strictObject({
    data: StudyDataParam,
    /**
     * The base: a conditional UNet with a transformer block (class tokens as CA context). Not
     * zero-initialised: with ADM's zero layers, a short pretraining leaves the transformer's
     * output projections near zero, and nothing an adapter adds inside the transformer reaches
     * the output (docs/adapters-sensitivity.md; the adapter-sensitivity stage measures it).
     */
    model: v.optional(ModelSpecSchema, {
      kind: "unet",
      widths: [16, 32, 32],
      resBlocksPerLevel: 1,
      attentionLevels: [],
      middle: "transformer",
      headDim: 16,
      contextDim: 32,
      zeroInit: false,
    }),
    pretrainSteps: v.optional(Int(1), 1500),
    pretrainBatch: v.optional(Int(1), 32),
    pretrainLr: v.optional(Positive, 1e-3),
    /**
     * "shift": target (a), a shifted domain (`shift`); "concept": target (b), DreamBooth-style —
     * class `concept` held out of pretraining and learned from `shots` images under its unseen
     * token, with prior preservation (`priorImages` images of the other classes).
     */
    task: v.optional(v.picklist(["shift", "concept"]), "shift"),
    /** Target task (a): the shifted domain and how many images tune and evaluate on it. */
    shift: v.optional(v.picklist(SHIFTS), "rotate90"),
    concept: v.optional(Int(0), 8),
    shots: v.optional(Int(1), 8),
    priorImages: v.optional(Int(0), 400),
    tuneImages: v.optional(Int(1), 2000),
    evalImages: v.optional(Int(1), 1000),
    /** The adapter of this arm. */
    input: v.optional(v.picklist(POSITIONS), "CA_out"),
    output: v.optional(v.picklist(POSITIONS), "FFN_in"),
    activation: v.optional(v.picklist(ACTIVATIONS), "silu"),
    scale: v.optional(Positive, 1),
    rank: v.optional(Int(1), 4),
    /** "reject": an invalid pair is a plan error; "skip": that arm is dropped (grid sweeps). */
    invalidPairs: v.optional(v.picklist(["reject", "skip"]), "reject"),
    tuneSteps: v.optional(Int(1), 200),
    /**
     * Steps per cached tuning segment (default: one segment). Successive halving's rungs
     * (docs/halving.md) reuse earlier segments when every rung is a multiple of it.
     */
    tuneSegmentSteps: v.optional(v.nullable(Int(1)), null),
    tuneBatch: v.optional(Int(1), 32),
    /** As in the paper (docs/adapters.md): AdamW, lr 1e-4 for the adapters; the full fine-tune's own lr. */
    tuneLr: v.optional(Positive, 1e-4),
    fullLr: v.optional(Positive, 1e-4),
    triples: v.optional(Int(1), 500),
    /** Evaluation triples the sensitivity stage measures every position on. */
    sensitivityBatch: v.optional(Int(1), 32),
    classifierSteps: v.optional(Int(1), 300),
    /** FD-clf for the best `top` arms and both baselines. */
    top: v.optional(Int(0), 5),
    samples: v.optional(Int(2), 256),
    samplerSteps: v.optional(Int(1), 20),
    /** The pretrained base's init, batches, t draws and noise: one base for every arm and seed. */
    baseSeed: v.optional(Int(0), 0),
    /** The replicate seed: adapter init, tuning batches, t draws and noise (and the baselines'). */
    trainSeed: v.optional(Int(0), 0),
  }),
  build: (p, b) => {
    const why = checkAdapterPair(p.input, p.output);
    if (why !== null) {
      if (p.invalidPairs === "skip") return {};
      throw new InvalidCombination(
        "output",
        `invalid adapter pair ${p.input} → ${p.output}: ${why} (sweeps over every pair: set invalidPairs: "skip")`,
      );
    }
    const dataset = addDataset(b, p.data);
    const concept = p.task === "concept";
    const conceptData = (part: "source" | "target") =>
      b.stage(conceptDataStage, {
        part,
        concept: p.concept,
        shots: p.shots,
        priorImages: p.priorImages,
        testImages: p.evalImages,
      }, { dataset });
    // task (b): the base never sees the concept class, so its token is new to the model
    const source = concept ? conceptData("source") : dataset;
    const { final: base } = addDiffusionTraining(b, source, {
      model: p.model,
      conditional: true,
      target: "eps",
      weighting: { strategy: "unweighted" },
      batchSize: p.pretrainBatch,
      lr: p.pretrainLr,
      warmupSteps: Math.min(100, Math.floor(p.pretrainSteps / 10)),
      // replicates repeat the tuning on one frozen base, as the paper tunes one pretrained model
      seed: p.baseSeed,
      steps: p.pretrainSteps,
    }, "base");
    const target = concept ? conceptData("target") : b.stage(targetDomainStage, {
      shift: p.shift,
      trainImages: p.tuneImages,
      testImages: p.evalImages,
    }, { dataset });
    // cadences follow the segment, not the total, so a longer tuning reuses the shorter one's segments
    const segment = Math.min(p.tuneSegmentSteps ?? p.tuneSteps, p.tuneSteps);
    const tuneCommon = {
      batchSize: p.tuneBatch,
      seed: p.trainSeed,
      logEvery: Math.max(1, Math.floor(segment / 20)),
      checkpointEvery: Math.max(10, Math.floor(segment / 2)),
    } satisfies Partial<AdapterTuneParams>;
    const evalParams = { triples: p.triples, seed: 0 };
    /** The tuning segments of one method, then its evaluation after the last one. */
    const arm = (params: Omit<AdapterTuneParams, "steps" | "fromStep">, label?: string) => {
      const total = params.method === "frozen" ? 0 : p.tuneSteps; // nothing trains: one instance
      // labels name the step when tuning is segmented (halving's rungs share these stages)
      const segmented = p.tuneSegmentSteps !== null && total > 0;
      const labelAt = (step: number) => {
        const parts = [label, segmented ? `step ${step}` : undefined].filter(Boolean);
        return parts.length === 0 ? {} : { label: parts.join(",") };
      };
      let tuned = b.stage(
        adapterTuneStage,
        { ...params, fromStep: 0, steps: Math.min(segment, total) },
        { base, target },
        labelAt(Math.min(segment, total)),
      );
      for (let from = segment; from < total; from += segment) {
        const to = Math.min(from + segment, total);
        tuned = b.stage(adapterTuneStage, { ...params, fromStep: from, steps: to }, {
          base,
          target,
          start: tuned,
        }, labelAt(to));
      }
      const evaluation = b.stage(
        adapterEvalStage,
        evalParams,
        { base, tuned, target },
        labelAt(total),
      );
      return { tuned, evaluation };
    };
    const adapter = arm({
      ...tuneCommon,
      method: "adapter",
      lr: p.tuneLr,
      adapter: {
        input: p.input,
        output: p.output,
        activation: p.activation,
        scale: p.scale,
        rank: p.rank,
      },
    });
    // the baselines have the same key in every arm: one instance each for the whole sweep
    const full = arm({ ...tuneCommon, method: "full", lr: p.fullLr }, FULL_ARM);
    const frozen = arm({ ...tuneCommon, method: "frozen" }, FROZEN_ARM);
    // (b): recognise the concept among all classes
    const classifier = addFeatureClassifier(b, concept ? dataset : target, p.classifierSteps);
    // independent of the arm: one instance for the whole sweep
    const sensitivity = b.stage(adapterSensitivityStage, {
      batch: p.sensitivityBatch,
      triples: p.triples,
      seed: p.trainSeed,
      activation: "silu",
      rank: p.rank,
    }, { base, target });
    return {
      sensitivity,
      eval: adapter.evaluation,
      tuned: adapter.tuned,
      fullEval: full.evaluation,
      fullTuned: full.tuned,
      frozenEval: frozen.evaluation,
      frozenTuned: frozen.tuned,
      base,
      target,
      classifier,
    };
  },
  aggregate: (arms, b) => {
    const live = arms.filter((a) => a.outputs.eval !== undefined);
    const first = live[0];
    if (first === undefined) {
      throw new InvalidCombination("input", "every (input, output) pair of the sweep is invalid");
    }
    const o = first.outputs;
    const evals: Record<string, Handle<AdapterEval>> = {
      [FULL_ARM]: o.fullEval as Handle<AdapterEval>,
      [FROZEN_ARM]: o.frozenEval as Handle<AdapterEval>,
    };
    const tuned: Record<string, Handle<TunedBundle>> = {
      [FULL_ARM]: o.fullTuned as Handle<TunedBundle>,
      [FROZEN_ARM]: o.frozenTuned as Handle<TunedBundle>,
    };
    // samples and difference images: the lowest replicate seed's arms (all arms without replicates)
    for (const a of live.filter((a) => a.replicate === first.replicate)) {
      evals[a.group] = a.outputs.eval as Handle<AdapterEval>;
      tuned[a.group] = a.outputs.tuned as Handle<TunedBundle>;
    }
    // the report: every arm at every seed, with each seed's baselines
    const reported: Record<string, Handle<AdapterEval>> = {};
    const seedOf = (a: (typeof live)[number], name: string) =>
      a.replicate === null ? name : replicateArmId(name, a.replicate);
    for (const a of live) {
      reported[a.id] = a.outputs.eval as Handle<AdapterEval>;
      reported[seedOf(a, FULL_ARM)] = a.outputs.fullEval as Handle<AdapterEval>;
      reported[seedOf(a, FROZEN_ARM)] = a.outputs.frozenEval as Handle<AdapterEval>;
    }
    const samples = b.stage(adapterSamplesStage, {
      top: first.params.top,
      samples: first.params.samples,
      samplerSteps: first.params.samplerSteps,
      ...(first.params.task === "concept" ? { conceptLabel: first.params.concept } : {}),
    }, {
      base: o.base as Handle<ModelBundle<TrainedConfig>>,
      classifier: o.classifier as Handle<ClassifierBundle>,
      target: o.target as Handle<DatasetSplits>,
      evals,
      tuned,
    });
    const q = first.params;
    const task = q.task === "concept"
      ? `(b) new concept: class ${q.concept} of ${q.data.source}, held out of pretraining, learned from ${q.shots} images under its unseen token with ${q.priorImages} prior-preservation images; ${q.tuneSteps} steps at batch ${q.tuneBatch}`
      : `${q.shift} ${q.data.source}, ${q.tuneImages} tuning images, ${q.tuneSteps} steps at batch ${q.tuneBatch}`;
    const report = b.stage(adapterReportStage, { task }, {
      samples,
      evals: reported,
      sensitivity: o.sensitivity as Handle<AdapterSensitivity>,
    });
    return { samples, report };
  },
  engineIdentity,
  // `replicates: n` runs every arm with trainSeed = 0..n−1 (docs/replicates.md)
  replicateSeed: "trainSeed",
  // successive halving's rungs set the tuning steps (docs/halving.md)
  budget: "tuneSteps",
});
