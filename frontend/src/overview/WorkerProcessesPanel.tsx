/**
 * The `crawlscope worker` processes of the installation (`GET /api/health/workers`):
 * slots busy of slots, the runs each serves, tasks done and taken over, last heard.
 * Shown only with the distributed work queue (`work_queue = "redis"`); a worker killed
 * without a word leaves the list when its presence expires (15 s).
 */
import { useQuery } from "@tanstack/react-query";
import { memo } from "react";

import { api } from "../lib/api";
import { useNow } from "../lib/clock";
import { fmtAgo, fmtDateTime, fmtInt } from "../lib/format";
import type { WorkerPresence } from "../lib/types";
import { ErrorNotice } from "../shared/ErrorNotice";
import { Empty, Panel } from "../shared/Panel";

const WorkerRow = memo(function WorkerRow({ w, now }: { w: WorkerPresence; now: number }) {
  return (
    <tr data-testid="worker-process" data-name={w.name}>
      <td style={{ maxWidth: 170 }}>
        <div className="mono ellipsis" title={`${w.name} (pid ${w.pid} on ${w.host})`}>
          {w.name}
        </div>
        <div className="muted small ellipsis" title={w.runs.join(", ")}>
          {w.runs.length === 0 ? "idle" : `${w.runs.length} run${w.runs.length > 1 ? "s" : ""}`}
        </div>
      </td>
      <td className="r nowrap" data-testid="worker-busy">
        {w.busy}/{w.slots}
      </td>
      <td className="r" title={`${fmtInt(w.taken_over)} taken over from lost workers`}>
        {fmtInt(w.tasks_done)}
      </td>
      <td className="r nowrap muted" title={fmtDateTime(w.seen_at)}>
        {fmtAgo(w.seen_at, now)}
      </td>
    </tr>
  );
});

export function WorkerProcessesPanel() {
  const query = useQuery({
    queryKey: ["worker-processes"],
    queryFn: api.workerProcesses,
    refetchInterval: 5000,
  });
  const now = useNow();
  if (query.data?.work_queue === "local") return null;
  const workers = query.data?.workers ?? [];
  const busy = workers.reduce((n, w) => n + w.busy, 0);
  const slots = workers.reduce((n, w) => n + w.slots, 0);
  return (
    <Panel
      title={query.data ? `Worker processes · ${busy}/${slots} slots busy` : "Worker processes"}
      testId="worker-processes"
      flush
    >
      {query.error ? (
        <ErrorNotice error={query.error} what="worker processes" />
      ) : !query.data ? (
        <Empty>Loading…</Empty>
      ) : workers.length === 0 ? (
        <Empty>
          No worker is there: runs wait for one (start <code>crawlscope worker</code>).
        </Empty>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>worker · runs</th>
                <th className="r">busy</th>
                <th className="r">tasks</th>
                <th className="r nowrap">heard</th>
              </tr>
            </thead>
            <tbody>
              {workers.map((w) => (
                <WorkerRow key={w.name} w={w} now={now} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Panel>
  );
}
