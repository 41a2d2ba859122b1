/** Trends over the range: items per hour, mean response time, success and error rate. */
import { memo, useMemo } from "react";

import type { Trends } from "../lib/types";
import { Chart, type ChartOption } from "../shared/Chart";

function line(name: string, data: [number, number | null][], yAxisIndex = 0) {
  // Symbols on: a range with activity in one bucket only still shows its point.
  return {
    name,
    type: "line",
    showSymbol: true,
    symbolSize: 3,
    connectNulls: false,
    yAxisIndex,
    data,
  };
}

export const TrendCharts = memo(function TrendCharts({ trends }: { trends: Trends }) {
  const [volume, quality] = useMemo<[ChartOption, ChartOption]>(() => {
    const t = trends.points.map((p) => Date.parse(p.t));
    const pct = (v: number | null) => (v === null ? null : +(v * 100).toFixed(2));
    const grid = { left: 56, right: 56, top: 30, bottom: 24 };
    return [
      {
        grid,
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        xAxis: { type: "time" },
        yAxis: [
          { type: "value", name: "items/h", min: 0 },
          { type: "value", name: "ms", min: 0 },
        ],
        series: [
          line(
            "items per hour",
            trends.points.map((p, i) => [t[i] ?? 0, p.items_per_hour]),
          ),
          line(
            "mean response",
            trends.points.map((p, i) => [t[i] ?? 0, p.mean_ms]),
            1,
          ),
        ],
      },
      {
        grid,
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        xAxis: { type: "time" },
        yAxis: { type: "value", name: "%", min: 0, max: 100 },
        series: [
          line(
            "success rate",
            trends.points.map((p, i) => [t[i] ?? 0, pct(p.success_rate)]),
          ),
          line(
            "error rate",
            trends.points.map((p, i) => [t[i] ?? 0, pct(p.error_rate)]),
          ),
        ],
      },
    ];
  }, [trends]);
  return (
    <div className="stack" data-testid="analytics-trends" data-resolution={trends.resolution}>
      <Chart option={volume} height={220} label="Items per hour and response time" />
      <Chart option={quality} height={200} label="Success rate and error rate" />
    </div>
  );
});
