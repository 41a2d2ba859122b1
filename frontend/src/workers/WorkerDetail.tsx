/**
 * One expanded worker: every metric of its card, its error breakdown and its own live
 * feed (the worker's ring in the run's FeedStore).
 */
import { useSyncExternalStore } from "react";

import type { FeedStore } from "../lib/feed/feedStore";
import {
  fmtDateTime,
  fmtInt,
  fmtMs,
  fmtParams,
  fmtRatio,
  fmtWaitingFor,
  humanize,
} from "../lib/format";
import type { WorkerCard } from "../lib/types";
import { WorkerStateBadge } from "../shared/badges";
import { EventRow } from "../shared/EventRow";
import type { ListSource } from "../shared/listSource";
import { VirtualFeed } from "../shared/VirtualFeed";
import { Elapsed } from "./Elapsed";

const EMPTY: ListSource<never> = { size: 0, newest: () => undefined };

function Counts({
  title,
  counts,
  testId,
}: {
  title: string;
  counts: Record<string, number> | undefined;
  testId: string;
}) {
  const rows = Object.entries(counts ?? {}).sort((a, b) => b[1] - a[1]);
  return (
    <div data-testid={testId}>
      <h3>{title}</h3>
      {rows.length === 0 ? (
        <div className="subtle">none</div>
      ) : (
        <dl className="kv">
          {rows.map(([k, v]) => (
            <div key={k} style={{ display: "contents" }}>
              <dt>{humanize(k)}</dt>
              <dd>{fmtInt(v)}</dd>
            </div>
          ))}
        </dl>
      )}
    </div>
  );
}

export function WorkerDetail({
  card,
  feed,
  onClose,
}: {
  card: WorkerCard;
  feed: FeedStore;
  onClose: () => void;
}) {
  useSyncExternalStore(feed.subscribe, feed.getVersion);
  const ring = feed.workerRing(card.worker_id);
  const state = card.state ?? "idle";
  const metrics: [string, string][] = [
    ["requests", fmtInt(card.requests ?? 0)],
    ["successes", fmtInt(card.successes ?? 0)],
    ["failures", fmtInt(card.failures ?? 0)],
    ["retries", fmtInt(card.retries ?? 0)],
    ["success rate", fmtRatio(card.success_rate ?? 0)],
    ["avg latency", fmtMs(card.avg_ms ?? 0)],
    ["p95 latency", fmtMs(card.p95_ms ?? 0)],
    ["items", fmtInt(card.items ?? 0)],
    ["new items", fmtInt(card.new_items ?? 0)],
    ["errors", fmtInt(card.errors ?? 0)],
    ["tasks done", fmtInt(card.tasks_done ?? 0)],
    ["tasks failed", fmtInt(card.tasks_failed ?? 0)],
    ["categories done", fmtInt(card.categories_done ?? 0)],
    ["time waiting", fmtMs(card.wait_ms ?? 0)],
  ];
  return (
    <section
      className="panel worker-detail"
      data-testid="worker-detail"
      data-worker={card.worker_id}
      aria-label={`Worker ${card.worker_id} details`}
    >
      <header className="panel-head">
        <h2>Worker {card.worker_id}</h2>
        <WorkerStateBadge state={state} />
        <button
          type="button"
          className="btn small"
          onClick={onClose}
          data-testid="worker-detail-close"
        >
          Close
        </button>
      </header>
      <div className="panel-body wd-grid">
        <div>
          <h3>Now</h3>
          <dl className="kv">
            <dt>phase</dt>
            <dd>{card.phase ?? "–"}</dd>
            <dt>task</dt>
            <dd>{card.task ?? "–"}</dd>
            <dt>category</dt>
            <dd>{card.category ?? "–"}</dd>
            <dt>item</dt>
            <dd>{card.item ?? "–"}</dd>
            <dt>url</dt>
            <dd className="mono">{card.url ?? "–"}</dd>
            <dt>params</dt>
            <dd className="mono">{fmtParams(card.params) || "–"}</dd>
            <dt>attempt</dt>
            <dd>{card.attempt ?? "–"}</dd>
            <dt>request</dt>
            <dd>
              {state === "requesting" && card.request_started_at ? (
                <Elapsed since={card.request_started_at} />
              ) : (
                "–"
              )}
            </dd>
            <dt>last status</dt>
            <dd>
              {card.last_status_code ?? "–"}
              {card.last_duration_ms != null ? ` in ${fmtMs(card.last_duration_ms)}` : ""}
            </dd>
            <dt>state since</dt>
            <dd>{fmtDateTime(card.state_since)}</dd>
            {state === "waiting" ? (
              <>
                <dt>waiting for</dt>
                <dd data-testid="worker-detail-waiting">{fmtWaitingFor(card.waiting_for)}</dd>
              </>
            ) : null}
            {card.last_task_ms != null ? (
              <>
                <dt>last task</dt>
                <dd>
                  {fmtMs(card.last_task_ms)}
                  {card.last_wait_ms ? `, ${fmtMs(card.last_wait_ms)} of it waiting` : ""}
                </dd>
              </>
            ) : null}
            {card.last_error_type ? (
              <>
                <dt>last error</dt>
                <dd title={card.last_error_message ?? ""}>
                  {humanize(card.last_error_type)}
                  {card.last_error_message ? `: ${card.last_error_message}` : ""}
                </dd>
              </>
            ) : null}
          </dl>
        </div>
        <div data-testid="worker-metrics">
          <h3>Metrics</h3>
          <dl className="kv">
            {metrics.map(([k, v]) => (
              <div key={k} style={{ display: "contents" }}>
                <dt>{k}</dt>
                <dd>{v}</dd>
              </div>
            ))}
          </dl>
        </div>
        <div className="stack">
          <Counts
            title="Errors by type"
            counts={card.errors_by_type}
            testId="worker-errors-by-type"
          />
          <Counts
            title="Errors by stage"
            counts={card.errors_by_stage}
            testId="worker-errors-by-stage"
          />
        </div>
      </div>
      <VirtualFeed
        source={ring ?? EMPTY}
        getKey={(e) => e.key}
        render={(e) => <EventRow entry={e} showWorker={false} />}
        height={260}
        label={`Activity of worker ${card.worker_id}`}
        testId="worker-feed"
        empty="No activity from this worker since the page opened."
      />
    </section>
  );
}
