/**
 * CPU, memory and disk use of a machine over time (system samples: the server's own, or
 * the host a remote run reports from), one line each, 0-100 %.
 */
import { memo, useMemo } from "react";

import { fmtPercent } from "../lib/format";
import type { SampleHistory } from "../lib/types";
import { Chart, type ChartOption } from "./Chart";
import { hostSeries } from "./hostSeries";

function HostChartImpl({
  history,
  label,
  testId,
  span = "range",
}: {
  history: SampleHistory;
  label: string;
  testId?: string;
  /** The time axis: the whole range asked for, or only where there are samples. */
  span?: "range" | "samples";
}) {
  const option = useMemo<ChartOption>(
    () => ({
      grid: { left: 44, right: 14, top: 30, bottom: 24 },
      tooltip: {
        trigger: "axis",
        valueFormatter: (v: number | null) => fmtPercent(v),
      },
      legend: { top: 0 },
      xAxis: {
        type: "time",
        axisLabel: { hideOverlap: true },
        ...(span === "range"
          ? { min: history.since * 1000, max: history.until * 1000 }
          : { min: "dataMin", max: "dataMax" }),
      },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: hostSeries(history.samples).map(({ name, data }) => ({
        name,
        type: "line",
        // A few points draw no visible line: mark each one until there are enough.
        showSymbol: history.samples.length < 30,
        data,
      })),
    }),
    [history, span],
  );
  return <Chart option={option} height={180} label={label} testId={testId} />;
}

export const HostChart = memo(HostChartImpl);
