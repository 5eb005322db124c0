/**
 * The Min-SNR study's smoke profile end to end (procedural shapes, no dataset needed): four arms
 * from one shared init, per-segment evaluations, the cross-arm report; then a full cache hit,
 * and a new γ that trains only its own arms.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cli, type TempEnv, tempEnv, text } from "../core/helpers.ts";
import { runSmoke } from "./smoke.ts";
import { writeImage } from "../data/_images.ts";
import { runtimeName } from "../../src/platform/runtime.ts";

Deno.test("min-snr --profile smoke runs every arm, writes the report, re-runs from cache, and adds a γ without retraining", async () => {
  await using env = await tempEnv();
  const run = await runSmoke(env, "min-snr");
  const { dir, manifest: m } = run;
  assert.equal(m.arms.length, 8, "four arms × two seeds");
  assert.equal(
    m.stages.filter((s) => s.stage === "init-diffusion").length,
    2,
    "one initialisation per seed, shared by the arms",
  );
  assert.equal(m.stages.filter((s) => s.stage === "classifier").length, 1, "one shared classifier");
  const report = await Deno.readTextFile(join(dir, "artifacts", "min-snr-report", "report.md"));
  assert.match(report, /\| arm \| weighting \| n \| reached \| steps to reach/);
  assert.match(report, /\| x0\/min-snr-5 \| x0 · min-snr-5 \| 2 \| \d of 2 \|/);
  assert.match(
    report,
    /## Verdict\n\n.*\n\n- (Reproduced|Contradicted|Inconclusive): .*n = 2 seeds/,
  );
  const tables = JSON.parse(
    await Deno.readTextFile(join(dir, "artifacts", "min-snr-report", "tables.json")),
  );
  const finalFd = tables.tables[0].rows[0].at(-1);
  assert.equal(finalFd.n, 2, "the final FD-clf cell aggregates two seeds");
  assert.deepEqual(finalFd.seeds, [0, 1]);
  assert.equal(finalFd.values.length, 2);
  assert.match(
    await Deno.readTextFile(join(dir, "artifacts", "min-snr-report", "fd_x0.svg")),
    /data-band="x0 · min-snr-5"/,
  );
  for (const plot of ["fd_x0.png", "fd_eps.png", "weights_eps.png", "bins_eps_min-snr-5.svg"]) {
    assert.ok((await Deno.stat(join(dir, "artifacts", "min-snr-report", plot))).size > 0, plot);
  }
  const summary = await Deno.readTextFile(join(dir, "summary.md"));
  assert.match(summary, /\| target=eps,weighting=min-snr-5\/seed=1 \| eps \| min-snr-5 \| 1 \| \d/);

  assert.match(await run.again(), new RegExp(`^0 ran, ${m.stages.length} cached`, "m"));

  const withGamma10 = await run.again([
    "-p",
    'weighting=[{"strategy":"unweighted"},{"strategy":"min-snr","gamma":5},{"strategy":"min-snr","gamma":10}]',
  ]);
  const trained = withGamma10.split("\n").filter((l) => l.startsWith("✔ train-diffusion"));
  assert.equal(
    trained.length,
    8,
    `two targets × two segments × two seeds of the new arm only:\n${trained.join("\n")}`,
  );
  assert.ok(trained.every((l) => l.includes("min-snr-10")));
});

/** `run experiments/min-snr-faces.ts` through the CLI with DIFFRUN_FACES set to `folder`. */
const runFaces = (env: TempEnv, folder: string) =>
  cli(["run", "experiments/min-snr-faces.ts", "--store", env.store, "--results", env.results], {
    DIFFRUN_FACES: folder,
  }).output();

Deno.test("min-snr-faces with a missing image folder is a plan error naming the folder; nothing runs", async () => {
  await using env = await tempEnv();
  const out = await runFaces(env, "/tmp/no-such-faces-folder");
  assert.equal(out.code, 2);
  assert.match(
    text(out.stderr),
    /cannot find the image-folder dataset; looked in:\n\s+- \/tmp\/no-such-faces-folder: does not exist/,
  );
  assert.equal(await Deno.stat(env.store).catch(() => null), null);
});

Deno.test("min-snr-faces --profile smoke trains on an unlabelled image folder (rotation-pretext classifier)", async () => {
  await using env = await tempEnv();
  const faces = join(env.dir, "faces");
  await Deno.mkdir(faces);
  for (let i = 0; i < 20; i++) {
    // 12×10 images: not square, so the smoke profile's square crop is exercised too
    await writeImage(join(faces, `img${i}.png`), 12, 10, 3, (x, y) => [
      (x * 20 + i * 7) % 256,
      (y * 25) % 256,
      x < 6 ? 40 : 220,
    ]);
  }
  const { manifest: m } = await runSmoke(env, "min-snr-faces", [], { DIFFRUN_FACES: faces });
  const classifier = m.stages.find((s) => s.stage === "classifier");
  assert.ok(classifier, "a classifier stage ran");
  assert.ok(m.stages.some((s) => s.stage === "evaluate"), "an evaluation ran on its features");
});

Deno.test({
  name: "min-snr-faces with a folder outside Deno's read permission says so and names the flag",
  // Deno's permission sandbox: Bun has none (docs/bun.md#what-differs-on-bun)
  ignore: runtimeName() === "bun",
  fn: async () => {
    await using env = await tempEnv();
    // /etc exists but is not in the diffrun task's --allow-read list (.,/usr/share/datasets,/tmp,/proc)
    const out = await runFaces(env, "/etc");
    assert.equal(out.code, 2);
    const err = text(out.stderr);
    assert.match(err, /cannot read \/etc: it is outside Deno's read permission/);
    assert.match(err, /--allow-read list of the `diffrun` task in deno\.json/);
    assert.doesNotMatch(err, /does not exist/);
    assert.equal(await Deno.stat(env.store).catch(() => null), null);
  },
});

Deno.test("diffrun plan with FASHION_MNIST_DIR set to a folder that does not work fails naming it, never using the system copy", async () => {
  await using env = await tempEnv();
  const plan = (dir: string) =>
    cli(["plan", "experiments/min-snr.ts", "--store", env.store], { FASHION_MNIST_DIR: dir })
      .output();
  const missing = await plan(join(env.dir, "nonexistent"));
  assert.equal(missing.code, 2, text(missing.stdout));
  const err = text(missing.stderr);
  assert.match(err, /nonexistent \(from FASHION_MNIST_DIR\): does not exist/);
  assert.doesNotMatch(err, /system location/);
  const outside = await plan("/nonexistent"); // outside the diffrun task's --allow-read list
  assert.equal(outside.code, 2, text(outside.stdout));
  assert.match(
    text(outside.stderr),
    runtimeName() === "bun" // no permission sandbox: the folder is just missing
      ? /\/nonexistent \(from FASHION_MNIST_DIR\): does not exist/
      : /cannot read \/nonexistent \(from FASHION_MNIST_DIR\): it is outside Deno's read permission/,
  );
});
