/** Items per run over time (dataset insights) and what each run cost. */
import { memo, useMemo } from "react";
import { Link } from "react-router-dom";

import type { CostReport, RunInsight } from "../lib/types";
import { Chart, type ChartOption } from "../shared/Chart";
import { fmtCost, fmtCount } from "./analyticsText";

export const ItemsPerRun = memo(function ItemsPerRun({ runs }: { runs: RunInsight[] }) {
  const option = useMemo<ChartOption>(() => {
    const t = runs.map((r) => Date.parse(r.created_at));
    const at = (pick: (r: RunInsight) => number) => runs.map((r, i) => [t[i] ?? 0, pick(r)]);
    return {
      grid: { left: 56, right: 16, top: 30, bottom: 24 },
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      xAxis: { type: "time" },
      yAxis: { type: "value", name: "items", min: 0 },
      series: [
        { name: "found", type: "line", data: at((r) => r.items_found) },
        { name: "new", type: "line", data: at((r) => r.new_items) },
        { name: "updated", type: "line", data: at((r) => r.updated_items) },
        { name: "duplicates", type: "line", data: at((r) => r.duplicates) },
      ],
    };
  }, [runs]);
  return (
    <Chart option={option} height={220} label="Items per run over time" testId="items-per-run" />
  );
});

export const CostTable = memo(function CostTable({ report }: { report: CostReport }) {
  const priced = Object.keys(report.prices);
  return (
    <div className="stack">
      <div className="muted" data-testid="cost-total">
        {fmtCount(report.total_runs)} runs cost {fmtCost(report.cost)}
        {report.cost_per_1000_items === null
          ? ""
          : `, ${fmtCost(report.cost_per_1000_items)} per 1,000 items`}
        .{" "}
        {priced.length
          ? `Priced: ${priced.join(", ")}.`
          : "No prices set: cost_prices in the settings or the project file (docs/configuration.md)."}
      </div>
      <div className="table-wrap">
        <table className="table" data-testid="cost-table">
          <thead>
            <tr>
              <th>Run</th>
              <th>Collection</th>
              <th className="r">Requests</th>
              <th className="r">Hours</th>
              <th className="r">Items</th>
              <th className="r">Cost</th>
              <th className="r">per 1,000 items</th>
            </tr>
          </thead>
          <tbody>
            {report.runs.slice(0, 50).map((r) => (
              <tr key={r.run_id}>
                <td className="mono">
                  <Link to={`/runs/${encodeURIComponent(r.run_id)}`}>{r.run_id.slice(0, 12)}</Link>
                </td>
                <td>{r.collection}</td>
                <td className="r num">{fmtCount(r.requests)}</td>
                <td className="r num">{r.hours.toFixed(3)}</td>
                <td className="r num">{fmtCount(r.items_found)}</td>
                <td className="r num">{fmtCost(r.cost)}</td>
                <td className="r num">{fmtCost(r.cost_per_1000_items)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
});
