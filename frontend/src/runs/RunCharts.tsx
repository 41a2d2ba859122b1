/**
 * Charts of the run: throughput, errors by type, p50/p95 latency. The history before the
 * page opened is the server's series; live state frames continue it (`useFrameHistory`).
 */
import { memo, useMemo } from "react";

import { fmtMs, humanize } from "../lib/format";
import { Chart, type ChartOption } from "../shared/Chart";
import { Panel } from "../shared/Panel";
import { ALL_SITES, type FramePoint, type FrameHistory } from "./useFrameHistory";

const GRID = { left: 48, right: 14, top: 34, bottom: 24 };
const TIME_AXIS = { type: "time", axisLabel: { hideOverlap: true } };
const MAX_SITES = 3;

function line(name: string, data: [number, number | null][], extra: Record<string, unknown> = {}) {
  return { name, type: "line", showSymbol: false, data, ...extra };
}

type Percentiles = FramePoint["latency"][string];

/**
 * The latency lines to draw. Seeded points (the server's series) have one p50/p95 over
 * every request (`ALL_SITES`); live frames have them per site. With a single site both
 * measure the same requests, so they make one continuous line. With several, the history
 * is its own "all sites" line and each site's line (at most `MAX_SITES`) starts where the
 * live frames do. A point without a value is a gap, not a zero.
 */
export function latencyLines(points: FramePoint[]): { label: string; pick: (p: FramePoint) => Percentiles | undefined }[] {
  const sites = new Set<string>();
  let overall = false;
  for (const p of points) {
    for (const site of Object.keys(p.latency)) {
      if (site === ALL_SITES) overall = true;
      else sites.add(site);
    }
  }
  const shown = [...sites].slice(0, MAX_SITES);
  const only = shown[0];
  if (shown.length <= 1) {
    return [{ label: "", pick: (p) => (only === undefined ? undefined : p.latency[only]) ?? p.latency[ALL_SITES] }];
  }
  const lines = shown.map((site) => ({ label: site, pick: (p: FramePoint) => p.latency[site] }));
  return overall ? [{ label: ALL_SITES, pick: (p: FramePoint) => p.latency[ALL_SITES] }, ...lines] : lines;
}

function ChartsImpl({ history }: { history: FrameHistory; version: number }) {
  const points = history.points;
  const throughput = useMemo<ChartOption>(
    () => ({
      grid: GRID,
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: ["requests/s", "items/s"] },
      xAxis: TIME_AXIS,
      yAxis: { type: "value", min: 0 },
      series: [
        line(
          "requests/s",
          points.map((p) => [p.t, p.requestsPerS]),
        ),
        line(
          "items/s",
          points.map((p) => [p.t, p.itemsPerS]),
        ),
      ],
    }),
    [history.version],
  );
  const errors = useMemo<ChartOption>(() => {
    const types = new Set<string>();
    points.forEach((p) => {
      Object.keys(p.errorsTotal).forEach((t) => types.add(t));
      Object.keys(p.errorRate).forEach((t) => types.add(t));
    });
    return {
      grid: GRID,
      tooltip: { trigger: "axis" },
      legend: { top: 0, type: "scroll" },
      xAxis: TIME_AXIS,
      yAxis: { type: "value", min: 0 },
      series: [...types].map((type) =>
        line(
          humanize(type),
          points.map((p) => [p.t, p.errorRate[type] ?? 0]),
          { stack: "errors", areaStyle: { opacity: 0.35 } },
        ),
      ),
    };
  }, [history.version]);
  const latency = useMemo<ChartOption>(() => {
    const lines = latencyLines(points);
    return {
      grid: GRID,
      tooltip: { trigger: "axis", valueFormatter: (v: number | null) => (v === null ? "–" : fmtMs(v)) },
      legend: { top: 0, type: "scroll" },
      xAxis: TIME_AXIS,
      yAxis: { type: "value", min: 0, axisLabel: { formatter: (v: number) => fmtMs(v) } },
      series: lines.flatMap(({ label, pick }) => [
        line(
          label ? `p50 ${label}` : "p50",
          points.map((p) => [p.t, pick(p)?.p50 ?? null]),
        ),
        line(
          label ? `p95 ${label}` : "p95",
          points.map((p) => [p.t, pick(p)?.p95 ?? null]),
          { lineStyle: { type: "dashed" } },
        ),
      ]),
    };
  }, [history.version]);

  const note = points.length < 2 ? "Charts fill in as the run goes." : null;
  return (
    <Panel title="Live charts" testId="run-charts" actions={note ? <span className="subtle">{note}</span> : undefined}>
      <div className="charts">
        <div>
          <h3>Throughput</h3>
          <Chart option={throughput} label="Requests and items per second over the run" testId="chart-throughput" />
        </div>
        <div>
          <h3>Errors by type (per second)</h3>
          <Chart option={errors} label="Errors per second by type over the run" testId="chart-errors" />
        </div>
        <div>
          <h3>Latency p50 / p95</h3>
          <Chart option={latency} label="Median and 95th percentile request latency over the run" testId="chart-latency" />
        </div>
      </div>
    </Panel>
  );
}

/** Re-renders only when a point was added (`version`), not on every frame. */
export const RunCharts = memo(ChartsImpl, (a, b) => a.version === b.version && a.history === b.history);
