// d3 charts of the Costs view: mean cost per call kind, distributions as box plots, stacked cost breakdowns.
// Each chart draws into a given <svg> and returns the table behind it, so CSV export shows exactly what is drawn.

import * as d3 from "d3";
import type { CostReport } from "../../../main/protocol.ts";
import { COST_PARTS } from "../../../engine/debug/cost-parts.ts";

export type Metric = "vcycles" | "hostNs";
export interface ChartTable {
  header: string[];
  rows: (string | number)[][];
}

const PATH_COLORS: Record<string, string> = { foreign: "#ffb454", native: "#7bd88f", hybrid: "#c792ea", "native Linux (host)": "#8391a3" };
/** One colour per cost part, the same in every chart and recording (compare mode lines them up). */
const PART_COLOR = new Map(COST_PARTS.map((part, i) => [part, d3.schemeTableau10[i % 10]!]));
const partColor = (part: string) => PART_COLOR.get(part) ?? "#8391a3";
const MARGIN = { top: 24, right: 12, bottom: 70, left: 64 };
/** Room right of the plot for the legend, so it never covers a bar. */
const LEGEND_WIDTH = 210;

export const METRIC_LABEL: Record<Metric, string> = {
  vcycles: "virtual cycles (modelled)",
  hostNs: "host ns (measured, noisy)",
};

function frame(svg: SVGSVGElement, width: number, height: number) {
  const root = d3.select(svg);
  root.selectAll("*").remove();
  root.attr("width", width).attr("height", height).attr("viewBox", `0 0 ${width} ${height}`);
  return root.append("g").attr("transform", `translate(${MARGIN.left},${MARGIN.top})`);
}

function axes(
  g: d3.Selection<SVGGElement, unknown, null, undefined>,
  x: d3.ScaleBand<string>,
  y: d3.ScaleLinear<number, number>,
  innerHeight: number,
  yLabel: string,
): void {
  g.append("g")
    .attr("transform", `translate(0,${innerHeight})`)
    .call(d3.axisBottom(x))
    .selectAll("text")
    .attr("transform", "rotate(-35)")
    .attr("text-anchor", "end");
  g.append("g").call(d3.axisLeft(y).ticks(6, "~s"));
  g.append("text").attr("x", 0).attr("y", -8).text(yLabel);
}

const mean = (values: number[]) => (values.length ? d3.mean(values)! : 0);

/** Grouped bars: mean cost per call kind, one bar per path, plus the host-measured native Linux figure. */
export function drawMeans(svg: SVGSVGElement, report: CostReport, metric: Metric, width: number): ChartTable {
  const height = 300;
  const g = frame(svg, width, height);
  const innerWidth = width - MARGIN.left - MARGIN.right - LEGEND_WIDTH;
  const innerHeight = height - MARGIN.top - MARGIN.bottom;
  const bars = report.rows.map((r) => ({ kind: r.kind, series: r.path as string, value: mean(r[metric]) }));
  if (metric === "vcycles") {
    for (const r of report.rows) {
      const linux = report.nativeLinux[r.kind.replace(/^linux:/, "")];
      if (linux !== undefined) bars.push({ kind: r.kind, series: "native Linux (host)", value: linux });
    }
  }
  groupedBars(g, bars, innerWidth, innerHeight, `mean ${METRIC_LABEL[metric]}`);
  return { header: ["kind", "series", `mean_${metric}`], rows: bars.map((b) => [b.kind, b.series, Math.round(b.value)]) };
}

/** Bars per kind, one per series, side by side and centred in the kind's band, with a legend right of the plot. */
function groupedBars(
  g: d3.Selection<SVGGElement, unknown, null, undefined>,
  bars: { kind: string; series: string; value: number }[],
  innerWidth: number,
  innerHeight: number,
  yLabel: string,
): void {
  const kinds = [...new Set(bars.map((b) => b.kind))];
  const series = [...new Set(bars.map((b) => b.series))];
  const x = d3.scaleBand().domain(kinds).range([0, innerWidth]).padding(0.2);
  // Each kind's bars sit side by side, centred in its band: a kind only one path takes leaves no empty slots.
  const perKind = d3.group(bars, (b) => b.kind);
  const slot = x.bandwidth() / (d3.max(perKind.values(), (group) => group.length) ?? 1);
  const barX = (b: (typeof bars)[number]) => {
    const group = perKind.get(b.kind)!;
    return x(b.kind)! + (x.bandwidth() - group.length * slot) / 2 + group.indexOf(b) * slot;
  };
  const y = d3.scaleLinear().domain([0, d3.max(bars, (b) => b.value) || 1]).nice().range([innerHeight, 0]);
  axes(g, x, y, innerHeight, yLabel);
  g.append("g")
    .selectAll("rect")
    .data(bars)
    .join("rect")
    .attr("x", (b) => barX(b) + slot * 0.05)
    .attr("y", (b) => y(b.value))
    .attr("width", slot * 0.9)
    .attr("height", (b) => innerHeight - y(b.value))
    .attr("fill", (b) => PATH_COLORS[b.series] ?? "#5fb3ff")
    .append("title")
    .text((b) => `${b.kind} · ${b.series}: ${Math.round(b.value).toLocaleString("en")}`);
  legend(g, series, (s) => PATH_COLORS[s] ?? "#5fb3ff", innerWidth);
}

/** The network and disk services: one call through the Linux personality against the native SDK path (bench rows). */
export function drawServices(svg: SVGSVGElement, report: CostReport, width: number): ChartTable {
  const height = 300;
  const g = frame(svg, width, height);
  const innerWidth = width - MARGIN.left - MARGIN.right - LEGEND_WIDTH;
  const innerHeight = height - MARGIN.top - MARGIN.bottom;
  // The axis names the call only ("TCP send, 64 B"); the table under the chart has the whole row name.
  const bars = report.services.flatMap((s) => {
    const kind = s.row.replace(/ \(.*\)$/, "");
    return [
      { kind, series: "foreign", value: s.linux },
      { kind, series: "native", value: s.native },
      ...(s.nativeLinux === null ? [] : [{ kind, series: "native Linux (host)", value: s.nativeLinux }]),
    ];
  });
  groupedBars(g, bars, innerWidth, innerHeight, "cycles per call (lab: virtual, host: TSC)");
  return { header: ["call", "series", "cycles"], rows: bars.map((b) => [b.kind, b.series, b.value]) };
}

/** Box plots (min, quartiles, median, max) of the per-call samples of each call kind. */
export function drawDistributions(svg: SVGSVGElement, report: CostReport, metric: Metric, width: number): ChartTable {
  const height = 300;
  const g = frame(svg, width, height);
  const innerWidth = width - MARGIN.left - MARGIN.right;
  const innerHeight = height - MARGIN.top - MARGIN.bottom;
  const stats = report.rows
    .filter((r) => r[metric].length)
    .map((r) => {
      const v = [...r[metric]].sort(d3.ascending);
      return { kind: r.kind, path: r.path, n: v.length, min: v[0]!, q1: d3.quantileSorted(v, 0.25)!, median: d3.quantileSorted(v, 0.5)!, q3: d3.quantileSorted(v, 0.75)!, max: v[v.length - 1]! };
    });
  const x = d3.scaleBand().domain(stats.map((s) => s.kind)).range([0, innerWidth]).padding(0.35);
  const y = d3.scaleLinear().domain([0, d3.max(stats, (s) => s.max) || 1]).nice().range([innerHeight, 0]);
  axes(g, x, y, innerHeight, METRIC_LABEL[metric]);
  const box = g.append("g").selectAll("g").data(stats).join("g").attr("transform", (s) => `translate(${x(s.kind)},0)`);
  const w = x.bandwidth();
  box.append("line").attr("x1", w / 2).attr("x2", w / 2).attr("y1", (s) => y(s.min)).attr("y2", (s) => y(s.max)).attr("stroke", "#8391a3");
  box
    .append("rect")
    .attr("width", w)
    // At least 4 px tall: the model gives many call kinds one fixed cost, and a box of height 0 would vanish.
    .attr("y", (s) => (y(s.q1) + y(s.q3)) / 2 - Math.max(4, y(s.q1) - y(s.q3)) / 2)
    .attr("height", (s) => Math.max(4, y(s.q1) - y(s.q3)))
    .attr("fill", (s) => PATH_COLORS[s.path] ?? "#5fb3ff")
    .attr("fill-opacity", 0.7)
    .append("title")
    .text((s) => `${s.kind}: n=${s.n} min=${s.min} q1=${s.q1} median=${s.median} q3=${s.q3} max=${s.max}`);
  box.append("line").attr("x1", 0).attr("x2", w).attr("y1", (s) => y(s.median)).attr("y2", (s) => y(s.median)).attr("stroke", "#fff");
  return { header: ["kind", "path", "n", "min", "q1", "median", "q3", "max"], rows: stats.map((s) => [s.kind, s.path, s.n, s.min, s.q1, s.median, s.q3, s.max]) };
}

/** Stacked bars: where the modelled cycles of one call of each kind go (guest, kernel entry/exit, IPC, work …). */
export function drawBreakdown(svg: SVGSVGElement, report: CostReport, width: number): ChartTable {
  const height = 300;
  const g = frame(svg, width, height);
  const innerWidth = width - MARGIN.left - MARGIN.right - LEGEND_WIDTH;
  const innerHeight = height - MARGIN.top - MARGIN.bottom;
  const present = new Set(report.rows.flatMap((r) => Object.keys(r.breakdown)));
  // Stacked in the fixed part order, so a part sits at the same height in every recording's chart.
  const parts = [...COST_PARTS.filter((p) => present.has(p)), ...[...present].filter((p) => !PART_COLOR.has(p))];
  const data = report.rows.map((r) => ({ kind: r.kind, ...Object.fromEntries(parts.map((p) => [p, r.breakdown[p] ?? 0])) })) as ({ kind: string } & Record<string, number>)[];
  const stacked = d3.stack<{ kind: string } & Record<string, number>>().keys(parts)(data);
  const x = d3.scaleBand().domain(data.map((d) => d.kind)).range([0, innerWidth]).padding(0.3);
  const y = d3.scaleLinear().domain([0, d3.max(stacked.at(-1) ?? [], (d) => d[1]) || 1]).nice().range([innerHeight, 0]);
  axes(g, x, y, innerHeight, "mean virtual cycles per call, by part (modelled)");
  g.append("g")
    .selectAll("g")
    .data(stacked)
    .join("g")
    .attr("fill", (s) => partColor(s.key))
    .attr("data-part", (s) => s.key)
    .selectAll("rect")
    .data((s) => s.map((d) => ({ d, key: s.key })))
    .join("rect")
    .attr("x", ({ d }) => x(d.data.kind)!)
    .attr("y", ({ d }) => y(d[1]))
    .attr("height", ({ d }) => Math.max(0, y(d[0]) - y(d[1])))
    .attr("width", x.bandwidth())
    .append("title")
    .text(({ d, key }) => `${d.data.kind} · ${key}: ${Math.round(d[1] - d[0]).toLocaleString("en")} cycles`);
  legend(g, parts, partColor, innerWidth);
  return { header: ["kind", ...parts], rows: data.map((d) => [d.kind, ...parts.map((p) => Math.round(d[p] ?? 0))]) };
}

/** Legend to the right of the plot area (charts reserve LEGEND_WIDTH for it), so it never covers a bar. */
function legend(g: d3.Selection<SVGGElement, unknown, null, undefined>, keys: string[], color: (k: string) => string, innerWidth: number): void {
  const box = g.append("g").attr("class", "legend").attr("transform", `translate(${innerWidth + 16},0)`);
  const item = box
    .selectAll("g")
    .data(keys)
    .join("g")
    .attr("transform", (_k, i) => `translate(0,${i * 14})`);
  item.append("rect").attr("width", 10).attr("height", 10).attr("fill", (k) => color(k));
  item.append("text").attr("x", 14).attr("y", 9).text((k) => k);
}
