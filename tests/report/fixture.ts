/**
 * A hand-made run directory for the report tests: a 2 × 2 sweep (target × weighting) with a
 * shared dataset stage, one training, evaluation (a sample-grid PNG) per arm, and a cross-arm
 * report stage with report.md, tables.json and an SVG plot. One param value is a script tag, to
 * check that user strings are escaped everywhere. PNGs are encoded here (zlib + CRC32), so the
 * fixture needs no native library.
 */
import { deflateSync } from "node:zlib";
import { join } from "node:path";
import { lineChart } from "../../src/plot/mod.ts";
import { sanitiseLabel } from "../../src/core/runDir.ts";

export const SCRIPT_VALUE = `<script>window.__pwned = 1</script>"'&`;

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (bytes: Uint8Array) => {
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type: string, data: Uint8Array) => {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
};

/** An RGB PNG of `w` × `h` whose pixel (x, y) is `color(x, y)`. */
export const png = (
  w: number,
  h: number,
  color: (x: number, y: number) => [number, number, number],
) => {
  const raw = new Uint8Array(h * (1 + 3 * w));
  for (let y = 0; y < h; y++) {
    raw[y * (1 + 3 * w)] = 0; // filter: none
    for (let x = 0; x < w; x++) raw.set(color(x, y), y * (1 + 3 * w) + 1 + 3 * x);
  }
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, w);
  v.setUint32(4, h);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const parts = [
    new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", ihdr),
    chunk("IDAT", new Uint8Array(deflateSync(raw))),
    chunk("IEND", new Uint8Array()),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), o += p.length);
  return out;
};

const key = (name: string) => (name + "0".repeat(64)).replace(/[^0-9a-f]/g, "a").slice(0, 64);

export interface FixtureOptions {
  readonly status?: "running" | "succeeded";
}

/** Writes the fixture run directory under `root` and returns its path. */
export const writeFixtureRun = async (root: string, o: FixtureOptions = {}): Promise<string> => {
  const dir = join(root, "toy-study", "20261201-000000Z-abcdef12");
  const arms = ["x0", "eps"].flatMap((target) =>
    ["unweighted", "min-snr"].map((weighting) => ({
      id: `target=${target},weighting=${weighting}`,
      values: { target, weighting: { strategy: weighting } },
      params: { target, weighting: { strategy: weighting }, steps: 5, note: SCRIPT_VALUE },
      outputs: {},
    }))
  );
  const stage = (
    label: string,
    name: string,
    armIds: string[],
    inputs: Record<string, string>,
    status: string | null = "ran",
  ) => ({
    key: key(label.replace(/\W/g, "")),
    label,
    stage: name,
    version: "1",
    arms: armIds,
    inputs,
    seed: 1,
    components: {},
    status,
    durationMs: status === null ? null : 1234.5,
    resumed: false,
    error: null,
  });
  const dataset = stage("dataset", "dataset", arms.map((a) => a.id), {}, "cached");
  const perArm = arms.flatMap((a) => {
    const train = stage(`train[${a.id}]`, "train", [a.id], { dataset: dataset.key });
    const evaluate = stage(`evaluate[${a.id}]`, "evaluate", [a.id], { model: train.key });
    return [train, evaluate];
  });
  const report = stage(
    "toy-report",
    "toy-report",
    [],
    Object.fromEntries(
      perArm.filter((s) => s.stage === "evaluate").map((s, i) => [`e${i}`, s.key]),
    ),
    o.status === "running" ? null : "ran",
  );
  const stages = [dataset, ...perArm, report];
  const manifest = {
    manifestVersion: 1,
    runId: "20261201-000000Z-abcdef12",
    status: o.status ?? "succeeded",
    startedAt: "2026-12-01T00:00:00.000Z",
    finishedAt: o.status === "running" ? null : "2026-12-01T00:01:00.000Z",
    command: {
      experimentFile: "experiments/toy.ts",
      profile: "smoke",
      overrides: [`note=${SCRIPT_VALUE}`],
      backend: "ort",
      jobs: 1,
      keepGoing: false,
      argv: ["run", "experiments/toy.ts", "--profile", "smoke"],
    },
    experiment: { name: "toy-study", seed: 7 },
    pipeline: { name: "toy", module: "pipelines/toy.ts" },
    arms,
    aggregate: { report: report.key },
    stages,
    engine: { backend: "ort", tfjs: "4.22.0" },
    git: { commit: "0123456789abcdef", dirty: false, diffFile: null },
    runtime: { deno: "2.9.6" },
    libraries: { effect: "npm:effect@4.1.0" },
    host: { hostname: "test", os: "linux-x86_64", cores: 2, memoryBytes: 1 },
    store: "/tmp/store",
  };
  await Deno.mkdir(join(dir, "artifacts"), { recursive: true });
  await Deno.writeTextFile(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2));
  const rows: string[] = [];
  perArm.filter((s) => s.stage === "train").forEach((s, i) => {
    for (let step = 1; step <= 5; step++) {
      rows.push(JSON.stringify({
        stage: s.label,
        key: s.key.slice(0, 12),
        arms: s.arms,
        cached: false,
        step,
        loss: 1 / (step + i),
      }));
    }
  });
  rows.push('{"stage": "train[trunc'); // a line cut off by a killed run
  await Deno.writeTextFile(join(dir, "metrics.jsonl"), rows.join("\n") + "\n");
  await Deno.writeTextFile(
    join(dir, "summary.md"),
    [
      "# toy-study (profile smoke)",
      "",
      `Status: **${manifest.status}**`,
      "",
      "## Arms",
      "",
      "| arm | target | weighting | fd |",
      "|---|---|---|---|",
      ...arms.map((a, i) =>
        `| ${a.id} | ${a.values.target} | ${a.values.weighting.strategy} | ${i + 1}.5 |`
      ),
      "",
      "## Stages",
      "",
      "| stage | status | seconds | key |",
      "|---|---|---|---|",
      "",
    ].join("\n"),
  );
  for (const [i, s] of perArm.filter((s) => s.stage === "evaluate").entries()) {
    const d = join(dir, "artifacts", sanitiseLabel(s.label));
    await Deno.mkdir(d, { recursive: true });
    await Deno.writeFile(
      join(d, "samples.png"),
      png(24, 16, (x, y) => [(x * 10 + i * 60) % 256, y * 15, 40 * i]),
    );
  }
  if (o.status !== "running") {
    const d = join(dir, "artifacts", "toy-report");
    await Deno.mkdir(d, { recursive: true });
    await Deno.writeTextFile(
      join(d, "report.md"),
      `# Toy study\n\nThe **verdict**: ${SCRIPT_VALUE}\n\n- first point\n- second point\n`,
    );
    await Deno.writeTextFile(
      join(d, "tables.json"),
      JSON.stringify({
        tables: [{
          id: "anova",
          title: "ANOVA of target MSE",
          columns: ["factor", "df", "F", "p"],
          rows: [["input position", 9, 12.3, 0.0001], [SCRIPT_VALUE, 1, null, 0.5]],
          note: "toy numbers",
        }],
      }),
    );
    const svg = lineChart({
      title: "toy curve",
      xLabel: "x",
      yLabel: "y",
      series: [{ name: "a", points: [[0, 1], [1, 2], [2, 1.5]] }],
    });
    await Deno.writeTextFile(join(d, "curve.svg"), svg);
    await Deno.writeFile(join(d, "curve.png"), png(4, 4, () => [0, 0, 0]));
  }
  return dir;
};
