/** Live charts of the run: throughput, errors by type, p50/p95 latency per site. */
import { memo, useMemo } from "react";

import { fmtMs, humanize } from "../lib/format";
import { Chart, type ChartOption } from "../shared/Chart";
import { Panel } from "../shared/Panel";
import type { FrameHistory } from "./useFrameHistory";

const GRID = { left: 48, right: 14, top: 34, bottom: 24 };
const TIME_AXIS = { type: "time", axisLabel: { hideOverlap: true } };
const MAX_SITES = 3;

function line(name: string, data: [number, number][], extra: Record<string, unknown> = {}) {
  return { name, type: "line", showSymbol: false, data, ...extra };
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
    points.forEach((p) => Object.keys(p.errorsTotal).forEach((t) => types.add(t)));
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
    const sites = new Set<string>();
    points.forEach((p) => Object.keys(p.latency).forEach((s) => sites.add(s)));
    const shown = [...sites].slice(0, MAX_SITES);
    const many = shown.length > 1;
    return {
      grid: GRID,
      tooltip: { trigger: "axis", valueFormatter: (v: number) => fmtMs(v) },
      legend: { top: 0, type: "scroll" },
      xAxis: TIME_AXIS,
      yAxis: { type: "value", min: 0, axisLabel: { formatter: (v: number) => fmtMs(v) } },
      series: shown.flatMap((site) => [
        line(
          many ? `p50 ${site}` : "p50",
          points.map((p) => [p.t, p.latency[site]?.p50 ?? 0]),
        ),
        line(
          many ? `p95 ${site}` : "p95",
          points.map((p) => [p.t, p.latency[site]?.p95 ?? 0]),
          { lineStyle: { type: "dashed" } },
        ),
      ]),
    };
  }, [history.version]);

  const note = points.length < 2 ? "Charts fill in from live state frames while this page is open." : null;
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
