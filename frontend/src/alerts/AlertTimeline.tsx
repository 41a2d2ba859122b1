/**
 * History: every state change of every alert (pending, firing, resolved), newest first,
 * grouped by day, over the last hour, 24 hours or 7 days.
 */
import { memo, useMemo, useState } from "react";
import { Link } from "react-router-dom";

import { fmtClock } from "../lib/format";
import type { TimelineEntry } from "../lib/types";
import { ErrorNotice } from "../shared/ErrorNotice";
import { Empty, Panel } from "../shared/Panel";
import { AlertStateBadge, SeverityBadge } from "./AlertBadges";
import { fmtValue, groupByDay, RANGES, sinceFor, type RangeKey } from "./alertText";
import { useAlertTimeline } from "./useAlerts";

/** How many changes are listed before "show all". */
export const TIMELINE_SHOWN = 60;

const TimelineRow = memo(function TimelineRow({ entry }: { entry: TimelineEntry }) {
  const runId = entry.labels.run_id;
  const subject = entry.labels.worker
    ? `worker ${entry.labels.worker}`
    : (entry.labels.site ?? entry.labels.schedule ?? "");
  return (
    <li
      className="tl-row"
      data-testid="timeline-row"
      data-state={entry.state}
      data-rule={entry.rule}
    >
      <span className="tl-time num subtle">{fmtClock(entry.at)}</span>
      <AlertStateBadge state={entry.state} />
      {entry.labels.severity ? <SeverityBadge severity={entry.labels.severity} /> : null}
      <span className="tl-body">
        <b className="mono">{entry.rule}</b>
        {subject ? <span className="subtle"> · {subject}</span> : null}
        {entry.summary ? <span className="tl-summary"> {entry.summary}</span> : null}
      </span>
      <span className="num subtle" title="value">
        {fmtValue(entry.value)}
      </span>
      {runId ? (
        <Link to={`/runs/${encodeURIComponent(runId)}`} className="mono small" title={runId}>
          {runId.slice(0, 12)}
        </Link>
      ) : (
        <span />
      )}
    </li>
  );
});

export function AlertTimeline() {
  const [range, setRange] = useState<RangeKey>("24h");
  const [all, setAll] = useState(false);
  // Fixed per range choice (and minute): polling refreshes it, the key stays put.
  const since = useMemo(() => sinceFor(range), [range]);
  const query = useAlertTimeline(since);
  const entries = query.data?.entries;
  const shown = useMemo(
    () => (entries ? (all ? entries : entries.slice(0, TIMELINE_SHOWN)) : []),
    [entries, all],
  );
  const days = useMemo(() => groupByDay(shown), [shown]);
  const hidden = (entries?.length ?? 0) - shown.length;
  return (
    <Panel
      title="History"
      testId="alert-timeline"
      actions={
        <div className="segmented" role="group" aria-label="Time range">
          {(Object.keys(RANGES) as RangeKey[]).map((key) => (
            <button
              key={key}
              type="button"
              className={`btn small${range === key ? " active" : ""}`}
              aria-pressed={range === key}
              onClick={() => setRange(key)}
              data-testid={`timeline-range-${key}`}
            >
              {RANGES[key].label}
            </button>
          ))}
        </div>
      }
    >
      {query.error ? (
        <ErrorNotice error={query.error} what="the alert history" />
      ) : !entries ? (
        <Empty>Loading…</Empty>
      ) : entries.length === 0 ? (
        <Empty>No alert changed state in the {RANGES[range].label}.</Empty>
      ) : (
        <div className="stack">
          {days.map(([day, list]) => (
            <section key={day} className="tl-day" data-testid="timeline-day" data-day={day}>
              <h3 className="tl-day-head">{day}</h3>
              <ol className="tl-list">
                {list.map((e) => (
                  <TimelineRow key={`${e.alert_id}/${e.state}/${e.at}`} entry={e} />
                ))}
              </ol>
            </section>
          ))}
          {hidden > 0 ? (
            <button type="button" className="btn small" onClick={() => setAll(true)}>
              Show {hidden} older changes
            </button>
          ) : null}
        </div>
      )}
    </Panel>
  );
}
