/**
 * DMD's distillation stage (docs/methods.md#dmd-loss): a one-step generator initialised from
 * the teacher, trained by distribution matching (real score = guided teacher, fake score =
 * an online-trained copy of the teacher, `ratio` fake updates per generator step) and/or the
 * regression loss on teacher pairs (classifier-feature perceptual distance + pixel L1, the
 * stand-in for LPIPS). The four arms of the small-scale protocol are params of this one stage:
 * regression only (matching off), matching only 1:1 (lambdaReg 0), DMD (both, 1:1) and
 * DMD2-style (matching, 5:1).
 *
 * Inputs: `teacher` (a trained class-conditional diffusion model), `classifier` (feature network,
 * needed when lambdaReg > 0) and the pair shards `pairs.0`, `pairs.1`, … (in that order).
 * Output: the generator as a diffusion-model bundle with the teacher's config, so the ordinary
 * `evaluate` stage samples it as DDIM with one step (t = T−1 under trailing spacing), plus its
 * loss history and update counts.
 */
import * as v from "valibot";
import * as Effect from "effect/Effect";
import { defineStage, type Group } from "../core/stage.ts";
import type { TensorMap } from "../tensor/tensorMap.ts";
import type { ModelBundle } from "../stages/codecs.ts";
import { diffusionModelCodec, type TrainedConfig } from "../stages/trainDiffusion.ts";
import { useEngine } from "../stages/engine.ts";
import { loadForSampling } from "../stages/models.ts";
import { type ClassifierConfigSchema, loadClassifier } from "../stages/classifier.ts";
import { concatShards } from "../stages/regressionPairs.ts";
import { makeSchedule } from "../diffusion/schedules.ts";
import { runTrainingLoop } from "../train/loop.ts";
import { loopContext } from "../stages/loopContext.ts";
import { addPrefix, toParamRecord, toTensorMap, withPrefix } from "../train/params.ts";
import { makeDistiller } from "../distill/distiller.ts";
import { Int, Positive } from "../core/schemas.ts";

const Fraction = v.pipe(v.number(), v.minValue(0), v.maxValue(1));

export const DistillParams = v.pipe(
  v.strictObject({
    /** Distribution matching on (DMD, DMD2, matching only) or off (regression only). */
    matching: v.boolean(),
    /** Weight of the regression loss (paper 0.25); 0 = matching only. */
    lambdaReg: v.optional(v.pipe(v.number(), v.minValue(0), v.finite()), 0.25),
    /** Fake-score updates per generator step: 1 (DMD), 5 (DMD2); 0 without matching. */
    ratio: v.optional(Int(0), 1),
    /** Classifier-free guidance of the real score (the fake score is unguided). */
    guidance: v.optional(v.pipe(v.number(), v.finite()), 1),
    steps: Int(1),
    batchSize: v.optional(Int(1), 32),
    lr: v.optional(Positive, 1e-5),
    fakeLr: v.optional(Positive, 1e-5),
    tMin: v.optional(Fraction, 0.02),
    tMax: v.optional(Fraction, 0.98),
    gradClip: v.optional(v.pipe(v.number(), v.minValue(0)), 1),
    /** Seed of every step's draws; arms sharing it see the same noise, classes and t. */
    seed: v.optional(Int(0), 0),
    logEvery: v.optional(Int(1), 10),
    checkpointEvery: v.optional(Int(1), 100),
  }),
  v.check((p) => p.matching || p.ratio === 0, "ratio must be 0 when matching is off"),
  v.check((p) => !p.matching || p.ratio >= 1, "ratio must be at least 1 with matching"),
  v.check((p) => p.matching || p.lambdaReg > 0, "matching off and lambdaReg 0 trains nothing"),
  v.check((p) => p.tMin < p.tMax, "tMin must be below tMax"),
);
export type DistillParams = v.InferInput<typeof DistillParams>;

const COLUMNS = ["step", "loss", "dm", "reg", "fake"] as const;

type Inputs = {
  teacher: ModelBundle<TrainedConfig>;
  /** The perceptual distance's feature network (regression arms). */
  classifier?: ModelBundle<v.InferOutput<typeof ClassifierConfigSchema>>;
  /** Regression pair shards by shard number (regression arms). */
  pairs: Group<TensorMap>;
};

export const distillStage = defineStage({
  name: "dmd-distill",
  version: "1",
  module: import.meta.url,
  params: DistillParams,
  inputs: { teacher: "one", classifier: "optional", pairs: "many" },
  output: diffusionModelCodec,
  resources: { compute: 1 },
  engineSensitive: true,
  run: (ctx, p, inputs: Inputs) =>
    Effect.gen(function* () {
      yield* useEngine(ctx);
      const teacherBundle = inputs.teacher;
      const tc = teacherBundle.config;
      if (tc.target === null || tc.schedule === null || !tc.conditional) {
        return yield* Effect.fail(
          new Error("distillation needs a trained class-conditional teacher"),
        );
      }
      const shardNames = Object.keys(inputs.pairs).sort((a, b) => Number(a) - Number(b));
      if (p.lambdaReg > 0 && (shardNames.length === 0 || !inputs.classifier)) {
        return yield* Effect.fail(
          new Error("lambdaReg > 0 needs pair shards (pairs.0, …) and a classifier input"),
        );
      }
      const pairs = p.lambdaReg > 0 ? concatShards(shardNames.map((k) => inputs.pairs[k]!)) : null;
      const load = () => loadForSampling(teacherBundle);
      const teacher = load();
      const generator = load();
      const fake = p.matching ? load() : null;
      const classifier = p.lambdaReg > 0 ? loadClassifier(inputs.classifier!) : null;
      const schedule = makeSchedule(tc.schedule);
      const opt = (lr: number) => ({
        lr,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: 0,
        warmupSteps: 0,
        gradClip: p.gradClip,
      });
      const distiller = makeDistiller({ generator, fake, teacher, classifier, pairs }, {
        schedule,
        target: tc.target,
        numClasses: tc.numClasses,
        imageShape: tc.imageShape,
        batchSize: p.batchSize,
        guidance: p.guidance,
        matching: p.matching,
        lambdaReg: p.lambdaReg,
        ratio: p.ratio,
        tRange: [p.tMin, p.tMax],
        seed: p.seed,
        generatorOpt: opt(p.lr),
        fakeOpt: opt(p.fakeLr),
      });
      yield* ctx.info(
        `generator ${generator.parameterCount()} parameters; matching ${p.matching}, ratio ${p.ratio}:1, λ_reg ${p.lambdaReg}, guidance ${p.guidance}; ${
          pairs?.n ?? 0
        } pairs`,
      );
      const history: number[] = [];
      let counts = { generator: 0, fake: 0 };
      const started = performance.now();
      yield* runTrainingLoop(loopContext(ctx), {
        steps: p.steps,
        checkpointEvery: p.checkpointEvery,
        logEvery: p.logEvery,
        save: async () => ({
          ...addPrefix(toTensorMap(await generator.params.export()), "gen."),
          ...(fake ? addPrefix(toTensorMap(await fake.params.export()), "fake.") : {}),
          ...addPrefix(await distiller.genOpt.exportState(), "genopt."),
          ...(distiller.fakeOpt
            ? addPrefix(await distiller.fakeOpt.exportState(), "fakeopt.")
            : {}),
          history: { shape: [history.length], data: Float32Array.from(history) },
          counts: {
            shape: [2],
            data: Float32Array.from([
              counts.generator + distiller.counts().generator,
              counts.fake + distiller.counts().fake,
            ]),
          },
        }),
        restore: (state) => {
          generator.params.import(toParamRecord(withPrefix(state, "gen.")));
          if (fake) fake.params.import(toParamRecord(withPrefix(state, "fake.")));
          distiller.genOpt.importState(withPrefix(state, "genopt."));
          distiller.fakeOpt?.importState(withPrefix(state, "fakeopt."));
          history.splice(0, history.length, ...(state.history?.data ?? []));
          const c = state.counts?.data ?? [0, 0];
          counts = { generator: Number(c[0]), fake: Number(c[1]) };
          return distiller.genOpt.step();
        },
        step: async (step) => {
          const m = await distiller.step(step);
          history.push(step + 1, m.loss, m.dm, m.reg, m.fake);
          return m;
        },
      });
      const seconds = (performance.now() - started) / 1000;
      const total = {
        generator: counts.generator + distiller.counts().generator,
        fake: counts.fake + distiller.counts().fake,
      };
      yield* ctx.info(
        `${total.generator} generator updates, ${total.fake} fake-score updates in ${
          seconds.toFixed(1)
        } s`,
      );
      const rows: (number | null)[][] = [];
      for (let i = 0; i < history.length; i += COLUMNS.length) {
        rows.push(
          history.slice(i, i + COLUMNS.length).map((x) => (Number.isFinite(x) ? x : null)),
        );
      }
      const bundle: ModelBundle<TrainedConfig> = {
        kind: teacherBundle.kind,
        config: tc,
        params: toTensorMap(yield* Effect.promise(() => generator.params.export())),
        ema: null,
        optimizer: null,
        info: {
          parameters: generator.parameterCount(),
          step: p.steps,
          generatorTimestep: schedule.T - 1,
          updates: total,
          secondsThisRun: seconds,
          history: { columns: [...COLUMNS], rows },
        },
      };
      distiller.dispose();
      for (const m of [teacher, generator, fake]) m?.params.dispose();
      classifier?.params.dispose();
      return bundle;
    }),
});
