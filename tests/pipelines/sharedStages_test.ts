/**
 * The Min-SNR and DMD studies build their dataset, classifier and diffusion training from one
 * block (src/stages/studyBlocks.ts), so what they ask for alike gets one cache key. Planning only:
 * nothing is trained.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { planExperiment, type PlanNode } from "../../src/core/plan.ts";
import { diffComponents } from "../../src/core/cacheKey.ts";
import { FASHION_MNIST_ENV, fashionMnistFileNames } from "../../src/data/fashionMnist.ts";
import { projectRoot } from "../core/helpers.ts";
import minSnr from "../../experiments/min-snr.ts";
import dmd from "../../experiments/dmd.ts";

const plan = (
  exp: Parameters<typeof planExperiment>[0],
  profile: string,
  overrides: string[] = [],
) => planExperiment(exp, { file: "exp.ts", profile, root: projectRoot, overrides });

const keysOf = (nodes: Iterable<PlanNode>, stage: string) =>
  new Set([...nodes].filter((n) => n.def.name === stage).map((n) => n.key));

const shared = (a: Set<string>, b: Set<string>) => [...a].filter((k) => b.has(k));

/** Plans both studies with the quick profiles' Fashion-MNIST found in a folder of empty files. */
const withFakeFashionMnist = async <T>(f: () => T): Promise<T> => {
  const dir = await Deno.makeTempDir({ prefix: "diffrun-fmnist-" });
  const before = Deno.env.get(FASHION_MNIST_ENV);
  try {
    for (const split of ["train", "test"] as const) {
      for (const kind of ["images", "labels"] as const) {
        await Deno.writeFile(join(dir, fashionMnistFileNames(split, kind)[0]!), new Uint8Array());
      }
    }
    Deno.env.set(FASHION_MNIST_ENV, dir);
    return f();
  } finally {
    if (before === undefined) Deno.env.delete(FASHION_MNIST_ENV);
    else Deno.env.set(FASHION_MNIST_ENV, before);
    await Deno.remove(dir, { recursive: true });
  }
};

Deno.test("smoke profiles of min-snr and dmd share exactly the dataset and the classifier", () => {
  const a = plan(minSnr, "smoke").nodes.values();
  const b = plan(dmd, "smoke").nodes.values();
  const [na, nb] = [[...a], [...b]];
  // same shapes data and classifierSteps 3 in both profiles
  assert.equal(shared(keysOf(na, "dataset"), keysOf(nb, "dataset")).length, 1);
  assert.equal(shared(keysOf(na, "classifier"), keysOf(nb, "classifier")).length, 1);
  // Min-SNR trains an unconditional model, DMD a class-conditional teacher: different inits, and
  // so different keys for every training segment downstream of them
  assert.equal(shared(keysOf(na, "init-diffusion"), keysOf(nb, "init-diffusion")).length, 0);
  assert.equal(shared(keysOf(na, "train-diffusion"), keysOf(nb, "train-diffusion")).length, 0);
});

Deno.test("quick profiles of min-snr and dmd share the dataset and the classifier", async () => {
  const [na, nb] = await withFakeFashionMnist(() => [
    [...plan(minSnr, "quick").nodes.values()],
    [...plan(dmd, "quick").nodes.values()],
  ]);
  assert.equal(shared(keysOf(na, "dataset"), keysOf(nb, "dataset")).length, 1);
  // both quick profiles train the classifier for 300 steps: one instance in one store
  assert.equal(shared(keysOf(na, "classifier"), keysOf(nb, "classifier")).length, 1);
  // every replicate of Min-SNR uses that one classifier
  assert.equal(keysOf(na, "classifier").size, 1);
});

Deno.test("dmd's quick teacher trains with a Min-SNR arm's segment params; only `conditional` differs", async () => {
  const [na, nb] = await withFakeFashionMnist(() => [
    // Min-SNR's quick arms with the teacher's segments (250 steps) and length
    [...plan(minSnr, "quick", ["steps=500", "evalEvery=250", "replicates=1"]).nodes.values()],
    [...plan(dmd, "quick").nodes.values()],
  ]);
  // the teacher (x0, min-snr-5, 500 steps in segments of 250, batch 32) against the Min-SNR arm
  // with the same target and weighting (500 steps in segments of 250, batch 32)
  const segment = (nodes: PlanNode[], toStep: number) =>
    nodes.find((n) => {
      const p = n.params as { target: string; weighting: { strategy: string }; toStep: number };
      return n.def.name === "train-diffusion" && p.target === "x0" &&
        p.weighting.strategy === "min-snr" && p.toStep === toStep;
    })!;
  for (const step of [250, 500]) {
    const [x, y] = [segment(na, step), segment(nb, step)];
    assert.deepEqual(x.params, y.params, `segment to step ${step}`);
    // the derived seed hashes the inputs too (the explicit trainSeed is what training draws from)
    assert.deepEqual(diffComponents(x.components, y.components), ["inputs", "seed"]);
  }
  const [initA, initB] = [na, nb].map((nodes) =>
    nodes.find((n) => n.def.name === "init-diffusion")!
  );
  assert.deepEqual(diffComponents(initA!.components, initB!.components), ["params", "seed"]);
  assert.equal((initA!.params as { conditional: boolean }).conditional, false);
  assert.equal((initB!.params as { conditional: boolean }).conditional, true);
});
