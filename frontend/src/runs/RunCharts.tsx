/**
 * Charts of the run: throughput, errors by type, p50/p95 latency. The history before the
 * page opened is the server's series; live state frames continue it (`useFrameHistory`).
 */
import { memo } from "react";

import { fmtMs, humanize } from "../lib/format";
import { Chart, type ChartOption } from "../shared/Chart";
import { Panel } from "../shared/Panel";
import { timeAxis } from "./chartAxis";
import { latencyLines } from "./latencyLines";
import type { FrameHistory, FramePoint } from "./useFrameHistory";

const GRID = { left: 48, right: 14, top: 34, bottom: 24 };

function line(name: string, data: [number, number | null][], extra: Record<string, unknown> = {}) {
  return { name, type: "line", showSymbol: false, data, ...extra };
}

function throughputOption(points: FramePoint[]): ChartOption {
  return {
    grid: GRID,
    tooltip: { trigger: "axis" },
    legend: { top: 0, data: ["requests/s", "items/s"] },
    xAxis: timeAxis(points.map((p) => p.t)),
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
  };
}

function errorsOption(points: FramePoint[]): ChartOption {
  const types = new Set<string>();
  points.forEach((p) => {
    Object.keys(p.errorsTotal).forEach((t) => types.add(t));
    Object.keys(p.errorRate).forEach((t) => types.add(t));
  });
  return {
    grid: GRID,
    tooltip: { trigger: "axis" },
    legend: { top: 0, type: "scroll" },
    xAxis: timeAxis(points.map((p) => p.t)),
    yAxis: { type: "value", min: 0 },
    series: [...types].map((type) =>
      line(
        humanize(type),
        points.map((p) => [p.t, p.errorRate[type] ?? 0]),
        { stack: "errors", areaStyle: { opacity: 0.35 } },
      ),
    ),
  };
}

function latencyOption(points: FramePoint[]): ChartOption {
  return {
    grid: GRID,
    tooltip: {
      trigger: "axis",
      valueFormatter: (v: number | null) => (v === null ? "–" : fmtMs(v)),
    },
    legend: { top: 0, type: "scroll" },
    xAxis: timeAxis(points.map((p) => p.t)),
    yAxis: { type: "value", min: 0, axisLabel: { formatter: (v: number) => fmtMs(v) } },
    series: latencyLines(points).flatMap(({ label, pick }) => [
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
}

// Renders only when a point was added (see `RunCharts` below), so the options are built
// on every render: memoising them too would only repeat that comparison.
function ChartsImpl({ history }: { history: FrameHistory; version: number }) {
  const points = history.points;
  const throughput = throughputOption(points);
  const errors = errorsOption(points);
  const latency = latencyOption(points);

  const note = points.length < 2 ? "Charts fill in as the run goes." : null;
  return (
    <Panel
      title="Live charts"
      testId="run-charts"
      actions={note ? <span className="subtle">{note}</span> : undefined}
    >
      <div className="charts">
        <div>
          <h3>Throughput</h3>
          <Chart
            option={throughput}
            label="Requests and items per second over the run"
            testId="chart-throughput"
          />
        </div>
        <div>
          <h3>Errors by type (per second)</h3>
          <Chart
            option={errors}
            label="Errors per second by type over the run"
            testId="chart-errors"
          />
        </div>
        <div>
          <h3>Latency p50 / p95</h3>
          <Chart
            option={latency}
            label="Median and 95th percentile request latency over the run"
            testId="chart-latency"
          />
        </div>
      </div>
    </Panel>
  );
}

/** Re-renders only when a point was added (`version`), not on every frame. */
export const RunCharts = memo(
  ChartsImpl,
  (a, b) => a.version === b.version && a.history === b.history,
);
