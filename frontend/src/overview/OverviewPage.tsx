/**
 * Overview: active runs with progress and ETA, today's totals, recent runs, the services
 * the server depends on (database, Redis: up or down, since when, why), system health,
 * worker processes (distributed work queue), target sites (breaker, last success) and
 * alerts. Active runs take their live figures from the stream's state frames.
 */
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";

import { api } from "../lib/api";
import { fmtDuration, fmtInt, fmtNum, fmtPercent } from "../lib/format";
import { useRunFrame, useSystemHealth } from "../lib/stream/useLiveStream";
import type { RunSummary } from "../lib/types";
import { RunStatusBadge } from "../shared/badges";
import { ErrorNotice } from "../shared/ErrorNotice";
import { Empty, Panel, Stat } from "../shared/Panel";
import { ProgressBars } from "../shared/ProgressBars";
import { NewRunButton } from "../runs/NewRunButton";
import { RunTable } from "../runs/RunsPage";
import { AlertsSummary } from "../alerts/AlertsPage";
import { TargetSitesPanel } from "./TargetSitesPanel";
import { ServicesPanel } from "./ServicesPanel";
import { SystemHistoryPanel } from "./SystemHistoryPanel";
import { WorkerProcessesPanel } from "./WorkerProcessesPanel";

function ActiveRun({ run }: { run: RunSummary }) {
  const live = useRunFrame(run.id);
  const status = live?.status ?? run.status;
  const progress = live?.progress ?? run.progress ?? [];
  const totals = live?.totals ?? run.totals ?? {};
  return (
    <li className="active-run" data-testid="active-run" data-run={run.id}>
      <div className="row">
        <RunStatusBadge status={status} />
        <Link to={`/runs/${encodeURIComponent(run.id)}`} className="mono">
          {run.id}
        </Link>
        <span className="muted">{run.collection}</span>
        <span className="spacer" style={{ flex: 1 }} />
        <span className="muted num small">
          {fmtInt(totals.requests)} req · {fmtInt(totals.items_found)} items ·{" "}
          {fmtInt(totals.errors)} err
          {live ? ` · ${fmtNum(live.throughput.requests_per_s)} req/s` : ""}
          {live?.eta_s !== undefined && live?.eta_s !== null
            ? ` · ETA ${fmtDuration(live.eta_s)}`
            : ""}
        </span>
      </div>
      <ProgressBars levels={progress} />
    </li>
  );
}

function SystemPanel() {
  const streamed = useSystemHealth();
  const query = useQuery({
    queryKey: ["system"],
    queryFn: api.system,
    refetchInterval: streamed ? false : 10_000,
  });
  const s = streamed ?? query.data;
  return (
    <Panel title="System" testId="system-panel">
      {!s ? (
        query.error ? (
          <ErrorNotice error={query.error} what="system health" />
        ) : (
          <Empty>Loading…</Empty>
        )
      ) : (
        <dl className="kv">
          <dt>CPU</dt>
          <dd>{fmtPercent(s.cpu_percent)}</dd>
          <dt>memory</dt>
          <dd>{fmtPercent(s.memory_percent)}</dd>
          <dt>server RSS</dt>
          <dd>{fmtNum(s.process_rss_mb)} MB</dd>
          <dt>disk free</dt>
          <dd>{fmtNum(s.disk_free_gb)} GB</dd>
          <dt>connections</dt>
          <dd>{fmtInt(s.open_connections)}</dd>
          <dt>active runs</dt>
          <dd>{fmtInt(s.active_runs)}</dd>
          <dt>running workers</dt>
          <dd>{fmtInt(s.running_workers)}</dd>
          <dt>stream subscribers</dt>
          <dd>{fmtInt(s.subscribers)}</dd>
        </dl>
      )}
    </Panel>
  );
}

export function OverviewPage() {
  const query = useQuery({ queryKey: ["overview"], queryFn: api.overview, refetchInterval: 5000 });
  const today = query.data?.today;
  return (
    <div className="stack" data-testid="overview-page">
      <div className="page-head">
        <h1>Overview</h1>
        <span className="spacer" />
        <NewRunButton />
      </div>
      {query.error ? <ErrorNotice error={query.error} what="the overview" /> : null}
      <div className="stats" data-testid="today-totals">
        <Stat label="runs today" value={fmtInt(today?.runs)} testId="today-runs" />
        <Stat label="requests" value={fmtInt(today?.requests)} testId="today-requests" />
        <Stat label="items" value={fmtInt(today?.items)} testId="today-items" />
        <Stat label="new items" value={fmtInt(today?.new_items)} testId="today-new-items" />
        <Stat label="errors" value={fmtInt(today?.errors)} testId="today-errors" />
      </div>
      <div className="overview-grid">
        <div className="stack">
          <Panel title="Active runs" testId="active-runs">
            {query.data && query.data.active.length === 0 ? (
              <Empty>No run is active.</Empty>
            ) : (
              <ul className="active-runs">
                {(query.data?.active ?? []).map((run) => (
                  <ActiveRun key={run.id} run={run} />
                ))}
              </ul>
            )}
          </Panel>
          <Panel
            title="Recent runs"
            testId="recent-runs"
            flush
            actions={<Link to="/runs">all runs</Link>}
          >
            <RunTable runs={query.data?.recent ?? []} testId="recent-runs-table" />
          </Panel>
        </div>
        <div className="stack">
          <ServicesPanel />
          <SystemPanel />
          <WorkerProcessesPanel />
          <TargetSitesPanel />
          <SystemHistoryPanel />
          <AlertsSummary />
        </div>
      </div>
    </div>
  );
}
