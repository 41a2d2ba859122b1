/** Target sites side by side: a bar chart of requests and failures, and the table. */
import { memo, useMemo } from "react";

import type { SiteRow } from "../lib/types";
import { Chart, type ChartOption } from "../shared/Chart";
import { fmtBytes, fmtCount, fmtMs, fmtRate } from "./analyticsText";

export const SiteComparison = memo(function SiteComparison({ sites }: { sites: SiteRow[] }) {
  const option = useMemo<ChartOption>(() => {
    const top = sites.slice(0, 15);
    return {
      grid: { left: 56, right: 16, top: 30, bottom: 48 },
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      xAxis: { type: "category", data: top.map((s) => s.site), axisLabel: { rotate: 20 } },
      yAxis: { type: "value", min: 0 },
      series: [
        { name: "successes", type: "bar", stack: "r", data: top.map((s) => s.successes) },
        { name: "failures", type: "bar", stack: "r", data: top.map((s) => s.failures) },
      ],
    };
  }, [sites]);
  return (
    <div className="stack">
      <Chart option={option} height={220} label="Requests per site, successes and failures" />
      <div className="table-wrap">
        <table className="table" data-testid="sites-table">
          <thead>
            <tr>
              <th>Site</th>
              <th className="r">Requests</th>
              <th className="r">Success</th>
              <th className="r">Errors</th>
              <th className="r">p50</th>
              <th className="r">p95</th>
              <th className="r">Received</th>
              <th>Failures by type</th>
            </tr>
          </thead>
          <tbody>
            {sites.map((s) => (
              <tr key={s.site}>
                <td className="mono">{s.site}</td>
                <td className="r num">{fmtCount(s.requests)}</td>
                <td className="r num">{fmtRate(s.success_rate)}</td>
                <td className="r num">{fmtCount(s.errors)}</td>
                <td className="r num">{fmtMs(s.p50_ms)}</td>
                <td className="r num">{fmtMs(s.p95_ms)}</td>
                <td className="r num">{fmtBytes(s.bytes)}</td>
                <td className="muted">
                  {Object.entries(s.failures_by_type)
                    .map(([type, n]) => `${type} ${n}`)
                    .join(", ") || "–"}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
});
