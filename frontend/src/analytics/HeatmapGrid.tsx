/** Requests per hour of day and weekday (in the heatmap's time zone) as a shaded grid. */
import { memo, useMemo } from "react";

import type { HeatCell } from "../lib/types";
import { fmtCount, heatGrid, WEEKDAYS } from "./analyticsText";

export const HeatmapGrid = memo(function HeatmapGrid({
  cells,
  timezone,
}: {
  cells: HeatCell[];
  timezone: string;
}) {
  const { grid, max } = useMemo(() => heatGrid(cells), [cells]);
  return (
    <div
      className="heatmap"
      data-testid="heatmap"
      role="table"
      aria-label={`Requests by weekday and hour (${timezone})`}
    >
      <div className="heat-row" role="row">
        <span className="heat-label" />
        {Array.from({ length: 24 }, (_, h) => (
          <span key={h} className="heat-hour">
            {h % 3 === 0 ? h : ""}
          </span>
        ))}
      </div>
      {grid.map((row, day) => (
        <div className="heat-row" role="row" key={WEEKDAYS[day]}>
          <span className="heat-label">{WEEKDAYS[day]}</span>
          {row.map((n, h) => (
            <span
              key={h}
              role="cell"
              className="heat-cell"
              data-value={n}
              title={`${WEEKDAYS[day]} ${h}:00 UTC: ${fmtCount(n)} requests`}
              style={{ opacity: n && max ? 0.15 + 0.85 * (n / max) : 0.05 }}
            />
          ))}
        </div>
      ))}
    </div>
  );
});
