/**
 * Analytics over stored history (docs/dashboard.md, Analytics): pick a range and a
 * collection; every panel asks its own endpoint (useAnalytics.ts), all computed on the
 * server from the rollups, so the page costs the same for an hour as for 90 days.
 */
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";

import { api } from "../lib/api";
import { ErrorNotice } from "../shared/ErrorNotice";
import { Empty, Panel } from "../shared/Panel";
import { DEFAULT_RANGE, RANGES, type RangeKey, rangeParams } from "./analyticsText";
import { CostTable, ItemsPerRun } from "./CostInsights";
import { ErrorGroups } from "./ErrorGroups";
import { FieldInsightsPanel } from "./FieldInsightsPanel";
import { HeatmapGrid } from "./HeatmapGrid";
import { RunCompare } from "./RunCompare";
import { SiteComparison } from "./SiteComparison";
import { SummaryTiles } from "./SummaryTiles";
import { TrendCharts } from "./TrendCharts";
import {
  useAnalyticsCosts,
  useAnalyticsErrors,
  useAnalyticsFields,
  useAnalyticsHeatmap,
  useAnalyticsInsights,
  useAnalyticsSites,
  useAnalyticsSummary,
  useAnalyticsTrends,
} from "./useAnalytics";

export function AnalyticsPage() {
  const [range, setRange] = useState<RangeKey>(DEFAULT_RANGE);
  const [collection, setCollection] = useState("");
  const params = useMemo(() => rangeParams(range, collection), [range, collection]);
  const collections = useQuery({ queryKey: ["collections"], queryFn: api.collections });
  const summary = useAnalyticsSummary(params);
  const trends = useAnalyticsTrends(params);
  const sites = useAnalyticsSites(params);
  const errors = useAnalyticsErrors(params);
  const heatmap = useAnalyticsHeatmap(params);
  const insights = useAnalyticsInsights(params);
  const costs = useAnalyticsCosts(params);
  const fields = useAnalyticsFields(params);
  const failed = [summary, trends, sites, errors, heatmap, insights, costs].find((q) => q.error);
  return (
    <div className="stack" data-testid="analytics-page">
      <div className="page-head">
        <h1>Analytics</h1>
        <div className="row">
          <select
            aria-label="Time range"
            data-testid="range-picker"
            value={range}
            onChange={(e) => setRange(e.target.value as RangeKey)}
          >
            {RANGES.map((r) => (
              <option key={r.key} value={r.key}>
                {r.label}
              </option>
            ))}
          </select>
          <select
            aria-label="Collection"
            data-testid="collection-filter"
            value={collection}
            onChange={(e) => setCollection(e.target.value)}
          >
            <option value="">All collections</option>
            {(collections.data?.collections ?? []).map((c) => (
              <option key={c.name} value={c.name}>
                {c.name}
              </option>
            ))}
          </select>
        </div>
      </div>
      {failed?.error ? <ErrorNotice error={failed.error} what="analytics" /> : null}
      {summary.data ? <SummaryTiles s={summary.data} /> : null}
      <Panel title={`Trends${trends.data ? ` (per ${trends.data.resolution})` : ""}`}>
        {trends.data ? <TrendCharts trends={trends.data} /> : <Empty>Loading…</Empty>}
      </Panel>
      <Panel title="Sites">
        {sites.data?.sites.length ? (
          <SiteComparison sites={sites.data.sites} />
        ) : (
          <Empty>No requests in this range.</Empty>
        )}
      </Panel>
      <Panel title="Errors by type, stage and message">
        {errors.data?.groups.length ? (
          <ErrorGroups groups={errors.data.groups} />
        ) : (
          <Empty>No errors in this range.</Empty>
        )}
      </Panel>
      <div className="row analytics-pair">
        <Panel
          title={`When: requests by weekday and hour (${heatmap.data?.timezone ?? "local time"})`}
        >
          {heatmap.data ? (
            <HeatmapGrid cells={heatmap.data.cells} timezone={heatmap.data.timezone} />
          ) : (
            <Empty>Loading…</Empty>
          )}
        </Panel>
        <Panel title="Items per run">
          {insights.data?.runs.length ? (
            <ItemsPerRun runs={insights.data.runs} />
          ) : (
            <Empty>No runs in this range.</Empty>
          )}
        </Panel>
      </div>
      <Panel title="Fields of the dataset" testId="fields-panel">
        <FieldInsightsPanel insights={collection ? fields.data : undefined} />
      </Panel>
      <Panel title="Cost" testId="cost-panel">
        {costs.data ? <CostTable report={costs.data} /> : <Empty>Loading…</Empty>}
      </Panel>
      <Panel title="Compare two runs">
        {insights.data ? <RunCompare runs={insights.data.runs} /> : <Empty>Loading…</Empty>}
      </Panel>
    </div>
  );
}
