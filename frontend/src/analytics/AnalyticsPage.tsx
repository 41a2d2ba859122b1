/**
 * Analytics (trends, site comparison, heatmap) arrive with the analytics API. Until then
 * this page shows what the runs list already has: per-run throughput and error share.
 */
import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";

import { api } from "../lib/api";
import { TERMINAL_STATUSES } from "../lib/types";
import { Chart, type ChartOption } from "../shared/Chart";
import { ErrorNotice } from "../shared/ErrorNotice";
import { Empty, Panel } from "../shared/Panel";

export function AnalyticsPage() {
  const query = useQuery({
    queryKey: ["runs", { analytics: true }],
    queryFn: () => api.runs({ limit: 200 }),
  });
  const option = useMemo<ChartOption>(() => {
    const runs = (query.data?.runs ?? [])
      .filter((r) => TERMINAL_STATUSES.has(r.status) && r.duration_s && r.totals)
      .reverse();
    const points = runs.map((r) => {
      const t = Date.parse(r.started_at ?? r.created_at ?? "");
      const minutes = (r.duration_s ?? 1) / 60;
      const requests = r.totals?.requests ?? 0;
      return {
        t,
        itemsPerMin: (r.totals?.items_found ?? 0) / minutes,
        errorShare: requests ? ((r.totals?.errors ?? 0) / requests) * 100 : 0,
      };
    });
    return {
      grid: { left: 56, right: 56, top: 30, bottom: 24 },
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      xAxis: { type: "time" },
      yAxis: [
        { type: "value", name: "items/min", min: 0 },
        { type: "value", name: "errors %", min: 0 },
      ],
      series: [
        { name: "items per minute", type: "line", data: points.map((p) => [p.t, p.itemsPerMin]) },
        {
          name: "errors per 100 requests",
          type: "line",
          yAxisIndex: 1,
          data: points.map((p) => [p.t, p.errorShare]),
        },
      ],
    };
  }, [query.data]);
  return (
    <div className="stack" data-testid="analytics-page">
      <div className="page-head">
        <h1>Analytics</h1>
      </div>
      {query.error ? <ErrorNotice error={query.error} what="runs" /> : null}
      <Panel title="Finished runs: throughput and error share">
        {(query.data?.runs ?? []).length === 0 ? (
          <Empty>No finished runs yet.</Empty>
        ) : (
          <Chart
            option={option}
            height={260}
            label="Items per minute and errors per 100 requests for each finished run"
          />
        )}
      </Panel>
      <div className="notice subtle">
        Trends over days, site comparison, error analysis and the hour-by-weekday heatmap arrive
        with the analytics API.
      </div>
    </div>
  );
}
