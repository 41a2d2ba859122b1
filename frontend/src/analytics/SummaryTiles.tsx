/** The range's totals as tiles. */
import { memo } from "react";

import type { AnalyticsSummary } from "../lib/types";
import { Stat } from "../shared/Panel";
import { fmtCost, fmtCount, fmtMs, fmtRate } from "./analyticsText";

export const SummaryTiles = memo(function SummaryTiles({ s }: { s: AnalyticsSummary }) {
  return (
    <div className="stats" data-testid="analytics-summary">
      <Stat label="Runs" value={fmtCount(s.runs)} testId="tile-runs" />
      <Stat
        label="Items found"
        value={fmtCount(s.items_found)}
        hint={`${fmtCount(s.items_new)} new`}
        testId="tile-items"
      />
      <Stat label="Requests" value={fmtCount(s.requests)} testId="tile-requests" />
      <Stat label="Success rate" value={fmtRate(s.success_rate)} testId="tile-success" />
      <Stat
        label="Latency p50 / p95"
        value={`${fmtMs(s.p50_ms)} / ${fmtMs(s.p95_ms)}`}
        testId="tile-latency"
      />
      <Stat label="Errors" value={fmtCount(s.errors)} testId="tile-errors" />
      <Stat
        label="Cost"
        value={fmtCost(s.cost)}
        hint={
          s.cost_per_1000_items === null
            ? undefined
            : `${fmtCost(s.cost_per_1000_items)} per 1,000 items`
        }
        testId="tile-cost"
      />
    </div>
  );
});
