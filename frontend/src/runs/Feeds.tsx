/**
 * The run's live lists: the data-pipeline feed and the whole-run activity feed (filterable
 * by worker, action and error type). Both read capped rings of the run's FeedStore and
 * render through a virtualised list.
 */
import { useMemo, useState, useSyncExternalStore } from "react";

import type { FeedEntry, FeedStore } from "../lib/feed/feedStore";
import { fmtDateTime, humanize } from "../lib/format";
import { ERROR_TYPES, PIPELINE_ACTIONS, SYSTEM_ACTIONS, WORKER_ACTIONS } from "../lib/types";
import { EventRow } from "../shared/EventRow";
import { Panel } from "../shared/Panel";
import { arraySource, type ListSource } from "../shared/listSource";
import { VirtualFeed } from "../shared/VirtualFeed";

function useFeedVersion(feed: FeedStore): number {
  return useSyncExternalStore(feed.subscribe, feed.getVersion);
}

/** Said above a feed whose run's stored events were deleted by retention. */
function PrunedNotice({ prunedAt }: { prunedAt: string }) {
  return (
    <p className="panel-body subtle small" data-testid="events-pruned">
      This run's events were pruned on {fmtDateTime(prunedAt)} (retention): its totals, workers,
      errors and charts are kept, its event-by-event history is not.
    </p>
  );
}

interface FeedProps {
  feed: FeedStore;
  /** When retention deleted the run's stored events (`RunDetail.events_pruned_at`). */
  prunedAt?: string | null;
}

export function PipelineFeed({ feed, prunedAt }: FeedProps) {
  useFeedVersion(feed);
  return (
    <Panel title="Data pipeline" testId="pipeline-feed-panel" flush>
      {prunedAt ? <PrunedNotice prunedAt={prunedAt} /> : null}
      <VirtualFeed
        source={feed.pipeline}
        getKey={(e) => e.key}
        render={(e) => <EventRow entry={e} showWorker={false} />}
        height={240}
        rowHeight={34}
        label="Data pipeline activity"
        testId="pipeline-feed"
        empty={prunedAt ? "Events pruned." : "No items written yet."}
      />
    </Panel>
  );
}

interface FeedFilter {
  worker: string; // "" | "0" | "<id>"
  action: string;
  errorType: string;
}

function matches(entry: FeedEntry, filter: FeedFilter): boolean {
  if (entry.kind === "gap") return !filter.worker && !filter.action && !filter.errorType;
  const e = entry.event;
  if (filter.worker !== "" && String(e.worker_id ?? 0) !== filter.worker) return false;
  if (filter.action && e.action !== filter.action) return false;
  if (filter.errorType && e.error_type !== filter.errorType) return false;
  return true;
}

const ACTIONS = [...WORKER_ACTIONS, ...PIPELINE_ACTIONS, ...SYSTEM_ACTIONS];

export function ActivityFeed({ feed, workerIds, prunedAt }: FeedProps & { workerIds: number[] }) {
  const version = useFeedVersion(feed);
  const [filter, setFilter] = useState<FeedFilter>({ worker: "", action: "", errorType: "" });
  const [frozen, setFrozen] = useState<FeedEntry[] | null>(null);
  const filtering = !!(filter.worker || filter.action || filter.errorType);
  // Read on every render: a render between a change and its (throttled) notification,
  // say when stored history was put before the live events, must not show a stale size.
  const held = feed.all.size;
  // Unfiltered and live, the list reads the ring itself: nothing is copied per update.
  const source = useMemo<ListSource<FeedEntry>>(() => {
    if (!filtering)
      return frozen
        ? arraySource(frozen)
        : { size: feed.all.size, newest: (i) => feed.all.newest(i) };
    const all = frozen ?? feed.all.toArrayNewestFirst();
    return arraySource(all.filter((e) => matches(e, filter)));
    // The ring changes in place; `version` is what says it changed.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [feed, version, held, frozen, filter, filtering]);
  const set = (key: keyof FeedFilter) => (e: React.ChangeEvent<HTMLSelectElement>) =>
    setFilter({ ...filter, [key]: e.target.value });
  const dropped = feed.all.dropped;
  return (
    <Panel
      title="Activity"
      testId="activity-feed-panel"
      flush
      actions={
        <span className="subtle small" data-testid="activity-held">
          showing {source.size} of the newest {held}
          {dropped > 0 ? ` (older ones are in the stored history)` : ""}
        </span>
      }
    >
      {prunedAt ? <PrunedNotice prunedAt={prunedAt} /> : null}
      <div className="panel-body row feed-filters">
        <label className="field">
          Worker
          <select value={filter.worker} onChange={set("worker")} data-testid="filter-worker">
            <option value="">all</option>
            <option value="0">system / pipeline</option>
            {workerIds.map((id) => (
              <option key={id} value={String(id)}>
                W{id}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Action
          <select value={filter.action} onChange={set("action")} data-testid="filter-action">
            <option value="">all</option>
            {ACTIONS.map((a) => (
              <option key={a} value={a}>
                {humanize(a)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Error type
          <select
            value={filter.errorType}
            onChange={set("errorType")}
            data-testid="filter-error-type"
          >
            <option value="">all</option>
            {ERROR_TYPES.map((t) => (
              <option key={t} value={t}>
                {humanize(t)}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="btn small"
          aria-pressed={frozen !== null}
          onClick={() => setFrozen(frozen ? null : feed.all.toArrayNewestFirst())}
          data-testid="feed-freeze"
        >
          {frozen ? "Resume feed" : "Freeze feed"}
        </button>
      </div>
      <VirtualFeed
        source={source}
        getKey={(e) => e.key}
        render={(e) => <EventRow entry={e} />}
        height={420}
        label="Run activity"
        testId="activity-feed"
        empty={prunedAt ? "Events pruned." : "No matching activity."}
      />
    </Panel>
  );
}
