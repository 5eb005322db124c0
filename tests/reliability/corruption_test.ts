/**
 * A damaged store entry is never used: byte flips and truncations in every kind of artifact, a
 * missing artifact folder and a symbolic link are each detected on the next run, reported with a
 * warning naming the key and the file, and recomputed; the run folder gets the good bytes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { tempEnv } from "../core/helpers.ts";
import { artifactsExperiment, entryOf, runCaptured, treeChecksums } from "./helpers.ts";

const flip = (path: string, at: number) => {
  const bytes = Deno.readFileSync(path);
  bytes[at] = bytes[at]! ^ 0x01;
  Deno.writeFileSync(path, bytes);
};

const cases: {
  readonly name: string;
  readonly stage: string;
  /** What the warning must mention. */
  readonly mentions: RegExp;
  readonly damage: (artifact: string) => Promise<void> | void;
}[] = [
  {
    name: "a flipped byte in a JSON value (fdClf → gdClf)",
    stage: "value",
    mentions: /value\.json has sha256/,
    damage: (a) => {
      const path = join(a, "value.json");
      flip(path, Deno.readTextFileSync(path).indexOf("fdClf"));
    },
  },
  {
    name: "a flipped byte in safetensors parameters",
    stage: "weights",
    mentions: /params\.safetensors has sha256/,
    damage: (a) =>
      flip(join(a, "params.safetensors"), Deno.statSync(join(a, "params.safetensors")).size - 3),
  },
  {
    name: "a flipped byte in a PNG",
    stage: "samples",
    mentions: /samples\.png has sha256/,
    damage: (a) => flip(join(a, "samples.png"), 20),
  },
  {
    name: "a truncated classifier file",
    stage: "classifier",
    mentions: /classifier\.onnx has 5 bytes, expected 16/,
    damage: (a) => Deno.truncate(join(a, "classifier.onnx"), 5),
  },
  {
    name: "a flipped byte in a nested file of a folder artifact",
    stage: "classifier",
    mentions: /labels\/names\.txt has sha256/,
    damage: (a) => flip(join(a, "labels", "names.txt"), 0),
  },
  {
    name: "a missing artifact folder",
    stage: "value",
    mentions: /artifact\/ is missing/,
    damage: (a) => Deno.remove(a, { recursive: true }),
  },
  {
    name: "a symbolic link in place of a file",
    stage: "samples",
    mentions: /samples\.png is a symbolic link/,
    damage: async (a) => {
      const outside = join(a, "..", "..", "..", "..", "outside.png");
      await Deno.rename(join(a, "samples.png"), outside);
      await new Deno.Command("ln", { args: ["-s", outside, join(a, "samples.png")] }).output();
    },
  },
];

for (const c of cases) {
  Deno.test(`runPlanned() after ${c.name} warns, recomputes the entry and links only good bytes`, async () => {
    const env = await tempEnv();
    try {
      const first = await runCaptured(env, artifactsExperiment);
      assert.equal(first.status, "succeeded");
      const good = treeChecksums(join(first.runDir, "artifacts"));
      const { key, artifact } = entryOf(env.store, c.stage);
      await c.damage(artifact);

      const second = await runCaptured(env, artifactsExperiment);
      assert.equal(second.status, "succeeded");
      const warnings = second.logs.filter((l) => l.startsWith("Warn"));
      assert.equal(warnings.length, 1, warnings.join("\n"));
      assert.ok(warnings[0]!.includes(key), warnings.join("\n"));
      assert.match(warnings[0]!, c.mentions);
      assert.equal(env.counts()[c.stage], 2, "the damaged stage ran again");
      assert.equal(env.counts()["summary"], 1, "its cached dependant did not");
      assert.deepEqual(treeChecksums(join(second.runDir, "artifacts")), good);
    } finally {
      await Deno.remove(env.dir, { recursive: true });
    }
  });
}

Deno.test("runPlanned() recomputes a damaged input before a stage that must run reads it", async () => {
  const env = await tempEnv();
  try {
    const first = await runCaptured(env, artifactsExperiment);
    const good = treeChecksums(join(first.runDir, "artifacts"));
    const value = entryOf(env.store, "value");
    flip(join(value.artifact, "value.json"), 4);
    await Deno.remove(join(entryOf(env.store, "summary").artifact, ".."), { recursive: true });

    const second = await runCaptured(env, artifactsExperiment);
    assert.equal(second.status, "succeeded");
    assert.equal(env.counts()["value"], 2);
    assert.equal(env.counts()["summary"], 2);
    assert.deepEqual(treeChecksums(join(second.runDir, "artifacts")), good);
  } finally {
    await Deno.remove(env.dir, { recursive: true });
  }
});
