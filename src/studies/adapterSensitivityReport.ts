/**
 * The adapter report's sensitivity section: what each position and pair can do on the frozen
 * base before tuning (adapter-sensitivity), as tables for report.md / tables.json and a bar
 * chart of each pair's step-0 gradient norm and output change (log axis).
 */
import { barChart } from "../plot/barChart.ts";
import type { ReportTable } from "../stats/reportTable.ts";
import type { AdapterSensitivity } from "./adapterSensitivityStage.ts";

const finite = (x: number | null) => (x === null || !Number.isFinite(x) ? null : x);

/** Tables "sensitivity-positions", "sensitivity-pairs" and "sensitivity-weights". */
export const sensitivityTables = (s: AdapterSensitivity): ReportTable[] => [
  {
    id: "sensitivity-positions",
    title: "Sensitivity of the frozen base per site and position (before tuning)",
    columns: [
      "site",
      "position",
      "activation RMS (read)",
      "‖∂L/∂h‖ (write)",
      `Δoutput for a ${s.perturbation} × RMS perturbation`,
    ],
    rows: s.positions.map((r) => [
      r.site,
      r.position,
      finite(r.activationRms),
      finite(r.gradNorm),
      finite(r.outputChange),
    ]),
    note:
      `On ${s.batch} evaluation triples of the target test split; base loss ${
        Number(s.baseLoss.toPrecision(4))
      }. ‖∂L/∂h‖: norm of the loss gradient reaching an addition at the position; Δoutput: ` +
      "RMS(ε̂ perturbed − ε̂) / RMS(ε̂). — : not an output position (adding there equals adding at " +
      "the next stream position).",
  },
  {
    id: "sensitivity-pairs",
    title: "Sensitivity of each adapter placement at step 0 (fresh adapter, as tuning starts it)",
    columns: [
      "input",
      "output",
      "‖∇θ L‖ at step 0",
      "Δoutput at scale 1",
      `Δoutput at scale ${s.raisedScale}`,
    ],
    rows: s.pairs.map((r) => [
      r.input,
      r.output,
      finite(r.gradNorm),
      finite(r.outputChange),
      finite(r.outputChangeRaised),
    ]),
    note: "‖∇θ L‖: gradient norm over the adapter's own weights before clipping; Δoutput: " +
      "RMS(ε̂ with adapter − ε̂ base) / RMS(ε̂ base).",
  },
  {
    id: "sensitivity-weights",
    title: "RMS of the transformer's output projections in the base",
    columns: ["parameter", "RMS"],
    rows: s.weights.map((w) => [w.name, finite(w.rms)]),
    note: "Everything an adapter adds inside a transformer block reaches the UNet through these " +
      "(proj_out last).",
  },
];

/** Bars per valid pair: step-0 gradient norm and output change at scale 1, on a log axis. */
export const sensitivityChart = (s: AdapterSensitivity): string =>
  barChart({
    title: "What each adapter placement can do before tuning",
    subtitle: `fresh adapters on the frozen base, ${s.batch} target triples; log axis`,
    yLabel: "value",
    categories: s.pairs.map((r) => `${r.input}→${r.output}`),
    series: [
      { name: "‖∇θ L‖ at step 0", values: s.pairs.map((r) => finite(r.gradNorm)) },
      { name: "Δoutput at scale 1", values: s.pairs.map((r) => finite(r.outputChange)) },
    ],
    yScale: "log",
    width: 1100,
    height: 460,
  });

/** The design check for the verdict: how many placements cannot move the output at all. */
export const sensitivityVerdict = (s: AdapterSensitivity, threshold = 1e-3): string => {
  const quiet = s.pairs.filter((r) => !(r.outputChange >= threshold));
  const pct = (x: number) => `${Number((100 * x).toPrecision(3))}%`;
  const range = (xs: readonly number[]) =>
    xs.length === 0 ? "—" : `${pct(Math.min(...xs))} … ${pct(Math.max(...xs))}`;
  const changes = s.pairs.map((r) => r.outputChange);
  return quiet.length === 0
    ? `Design check passed: every one of the ${s.pairs.length} placements changes the base's ` +
      `output before tuning (fresh adapter at scale 1: ${range(changes)} of RMS(ε̂)), so each ` +
      "input and output level can show an effect."
    : `Design check failed: ${quiet.length} of ${s.pairs.length} placements change the base's ` +
      `output by less than ${pct(threshold)} before tuning (${
        quiet.slice(0, 6).map((r) => `${r.input}→${r.output}`).join(", ")
      }${quiet.length > 6 ? ", …" : ""}); their arms cannot differ from the frozen base, and ` +
      "the ANOVA's input and output effects mostly measure which placements are alive.";
};

/** Everything the adapter report shows of `adapter-sensitivity`. */
export const sensitivitySection = (s: AdapterSensitivity) => ({
  tables: sensitivityTables(s),
  chart: sensitivityChart(s),
  verdict: sensitivityVerdict(s),
});
