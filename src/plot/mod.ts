/**
 * diffrun's plotting: charts as self-contained SVG strings (no dependencies), ready to write to a
 * file or inline into an HTML report. PNG output lives in ./png.ts and is not re-exported here,
 * because importing it loads sharp's native library (needs --allow-ffi).
 */
export { barChart, type BarChartOptions, type BarSeries, type ErrorBar } from "./barChart.ts";
export { colormap, type ColormapName, COLORMAPS, PALETTE } from "./color.ts";
export { facet, type FacetOptions, svgSize } from "./facet.ts";
export { heatmap, type HeatmapOptions } from "./heatmap.ts";
export { lineChart, type LineChartOptions, type RefLine, type Series } from "./lineChart.ts";
export {
  dataExtent,
  formatTick,
  linearTicks,
  logTicks,
  makeScale,
  niceStep,
  type Scale,
  type ScaleKind,
  type ScaleOptions,
} from "./scale.ts";
export { escapeXml } from "./svg.ts";
