/**
 * CPU, memory and disk use of a machine over time (system samples: the server's own, or
 * the host a remote run reports from), one line each, 0-100 %.
 */
import { memo, useMemo } from "react";

import { fmtPercent } from "../lib/format";
import type { SampleHistory } from "../lib/types";
import { Chart, type ChartOption } from "./Chart";
import { hostSeries } from "./hostSeries";

const MINUTE_MS = 60_000;

/** The time axis: the range asked for, or the samples' own span (a minute either side of
 * a single sample, which ECharts would otherwise stretch over days). */
function axisSpan(history: SampleHistory, span: "range" | "samples"): { min: number; max: number } {
  if (span === "range") return { min: history.since * 1000, max: history.until * 1000 };
  const ats = history.samples.map((s) => s.at * 1000);
  const first = Math.min(...ats);
  const last = Math.max(...ats);
  return last - first < MINUTE_MS
    ? { min: first - MINUTE_MS, max: last + MINUTE_MS }
    : { min: first, max: last };
}

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
        ...axisSpan(history, span),
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
