/**
 * The server's CPU, memory and disk over the last hour, day or week (samples every 10 s,
 * averaged into at most 360 points by the server).
 */
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";

import { api } from "../lib/api";
import { ErrorNotice } from "../shared/ErrorNotice";
import { HostChart } from "../shared/HostChart";
import { Empty, Panel } from "../shared/Panel";

const RANGES: [label: string, hours: number][] = [
  ["1 h", 1],
  ["24 h", 24],
  ["7 d", 168],
];

export function SystemHistoryPanel() {
  const [hours, setHours] = useState(1);
  const query = useQuery({
    queryKey: ["system-history", hours],
    queryFn: () => api.systemHistory(hours),
    refetchInterval: 30_000,
  });
  const picker = (
    <span className="segmented" role="group" aria-label="Time range">
      {RANGES.map(([label, h]) => (
        <button
          key={h}
          type="button"
          className={`btn small${h === hours ? " active" : ""}`}
          aria-pressed={h === hours}
          onClick={() => setHours(h)}
        >
          {label}
        </button>
      ))}
    </span>
  );
  const samples = query.data?.samples ?? [];
  return (
    <Panel title="Server over time" testId="system-history" actions={picker}>
      {query.error ? (
        <ErrorNotice error={query.error} what="the server's history" />
      ) : samples.length === 0 ? (
        <Empty>{query.data ? "No samples yet." : "Loading…"}</Empty>
      ) : (
        <HostChart
          history={query.data!}
          label="CPU, memory and disk use of the server over time"
          testId="system-history-chart"
        />
      )}
    </Panel>
  );
}
