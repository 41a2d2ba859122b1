/**
 * The run page: header, progress, workers, live charts, pipeline/error/data quality/site
 * panels and the activity feed. Numbers come from the newest of the REST frame and the
 * live state frames; events only fill lists. A finished run shows its stored final frame. The charts
 * start from the server's series of the whole run and continue with the live frames.
 */
import { useQuery } from "@tanstack/react-query";
import { useCallback, useMemo, useState } from "react";
import { Link, useParams } from "react-router-dom";

import { RunAlerts } from "../alerts/RunAlerts";
import { stalledWorkers } from "../alerts/alertText";
import { useAlertList } from "../alerts/useAlerts";
import { api } from "../lib/api";
import { useFocusRun, useRunFrame } from "../lib/stream/useLiveStream";
import { TERMINAL_STATUSES } from "../lib/types";
import { ErrorNotice } from "../shared/ErrorNotice";
import { Panel } from "../shared/Panel";
import { ProgressBars } from "../shared/ProgressBars";
import { WorkerDetail } from "../workers/WorkerDetail";
import { WorkerGrid } from "../workers/WorkerGrid";
import { useRunProcesses } from "../workers/useRunProcesses";
import { ActivityFeed, PipelineFeed } from "./Feeds";
import { newerFrame } from "./frames";
import { LatestItems } from "./LatestItems";
import { QualityPanel } from "./QualityPanel";
import { CrawlerStatsPanel } from "./CrawlerStatsPanel";
import { RunCharts } from "./RunCharts";
import { RunHostPanel } from "./RunHostPanel";
import { RunHeader } from "./RunHeader";
import { ErrorBreakdown, RunMetrics, SiteTable } from "./RunPanels";
import { useFrameHistory } from "./useFrameHistory";
import { useRunFeed } from "./useRunFeed";
import { useRunSeries } from "./useRunSeries";

/** The page re-renders from state frames at most this often (the server sends up to 4/s). */
export const FRAME_INTERVAL_MS = 400;

export function RunDetailPage() {
  const { runId = "" } = useParams();
  useFocusRun(runId);
  const query = useQuery({ queryKey: ["run", runId], queryFn: () => api.run(runId) });
  const live = useRunFrame(runId, FRAME_INTERVAL_MS);
  const frame = useMemo(() => newerFrame(live, query.data), [live, query.data]);
  const feed = useRunFeed(runId, frame?.last_seq);
  const series = useRunSeries(runId);
  const history = useFrameHistory(frame, series);
  // One query for the run's alerts panel and the stalled marks on its worker cards; polled
  // while the run goes or its frame is live (outcome rules fire just after the end).
  const ended = frame ? TERMINAL_STATUSES.has(frame.status) : false;
  const alerts = useAlertList(runId, !ended || frame?.live !== false);
  const stalled = useMemo(() => stalledWorkers(alerts.data?.alerts, runId), [alerts.data, runId]);
  // Which worker process each card runs in (distributed runs only), while the run goes.
  const processes = useRunProcesses(runId, frame !== undefined && !ended);
  const [selected, setSelected] = useState<number | null>(null);
  const onSelect = useCallback((id: number) => setSelected((cur) => (cur === id ? null : id)), []);

  if (!frame) {
    if (query.error) return <ErrorNotice error={query.error} what={`run ${runId}`} />;
    return <div className="empty">Loading run {runId}…</div>;
  }
  const workers = frame.workers ?? [];
  const selectedCard =
    selected === null ? undefined : workers.find((w) => w.worker_id === selected);
  const running = !TERMINAL_STATUSES.has(frame.status);
  const prunedAt = query.data?.events_pruned_at;
  return (
    <div data-testid="run-detail" data-run={frame.run_id} data-status={frame.status}>
      <nav className="subtle small" aria-label="Breadcrumb" style={{ marginBottom: 8 }}>
        <Link to="/runs">Runs</Link> / <span className="mono">{frame.run_id}</span>
      </nav>
      <RunHeader frame={frame} />
      <div className="run-layout">
        <div className="run-main">
          <Panel title="Progress" testId="progress-panel">
            <ProgressBars levels={frame.progress ?? []} showEta={running} />
          </Panel>
          <Panel title={`Workers (${workers.length})`} testId="workers-panel">
            <WorkerGrid
              workers={workers}
              selected={selected}
              onSelect={onSelect}
              stalled={stalled}
              processes={processes}
              active={running}
            />
            {selectedCard ? (
              <WorkerDetail card={selectedCard} feed={feed} onClose={() => setSelected(null)} />
            ) : null}
          </Panel>
          <RunCharts history={history} version={history.version} />
          <ActivityFeed
            feed={feed}
            workerIds={workers.map((w) => w.worker_id)}
            prunedAt={prunedAt}
          />
        </div>
        <aside className="run-side" aria-label="Run details">
          <RunAlerts alerts={alerts.data?.alerts} error={alerts.error} />
          <RunMetrics frame={frame} />
          <PipelineFeed feed={feed} prunedAt={prunedAt} />
          <ErrorBreakdown frame={frame} />
          <QualityPanel quality={frame.quality} />
          <CrawlerStatsPanel stats={frame.crawler_stats} />
          <SiteTable sites={frame.sites ?? []} />
          <RunHostPanel runId={frame.run_id} live={running} />
          <LatestItems runId={frame.run_id} live={running} />
        </aside>
      </div>
    </div>
  );
}
