/**
 * One row of an activity feed. Every scraped or remote string (task, item, URL, error
 * message) is a React text child, so markup in it shows literally and never runs.
 */
import { memo } from "react";

import type { FeedEntry } from "../lib/feed/feedStore";
import {
  fmtClock,
  fmtInt,
  fmtMs,
  fmtParams,
  fmtWaitingFor,
  humanize,
  truncate,
} from "../lib/format";
import type { ActivityEvent } from "../lib/types";
import { Icon, type IconName } from "./Icon";

const ACTION_STYLE: Record<string, { icon: IconName; color: string }> = {
  fetching: { icon: "arrow", color: "var(--c-requesting)" },
  found: { icon: "check", color: "var(--c-processing)" },
  error: { icon: "warn", color: "var(--c-error)" },
  rate_limited: { icon: "hourglass", color: "var(--c-rate_limited)" },
  retrying: { icon: "retry", color: "var(--c-backing_off)" },
  waiting: { icon: "clock", color: "var(--c-waiting)" },
  skipped: { icon: "stop", color: "var(--c-idle)" },
  complete: { icon: "check", color: "var(--c-complete)" },
  uploading: { icon: "upload", color: "var(--c-requesting)" },
  inserted: { icon: "plus", color: "var(--c-complete)" },
  updated: { icon: "pencil", color: "var(--c-processing)" },
  deduped: { icon: "equal", color: "var(--c-idle)" },
  run_paused: { icon: "pause", color: "var(--c-warn)" },
  run_resumed: { icon: "play", color: "var(--c-requesting)" },
  run_started: { icon: "play", color: "var(--c-requesting)" },
  run_completed: { icon: "check", color: "var(--c-complete)" },
  run_failed: { icon: "cross", color: "var(--c-bad)" },
  run_cancelled: { icon: "stop", color: "var(--c-paused)" },
  breaker_opened: { icon: "cross", color: "var(--c-bad)" },
  breaker_half_open: { icon: "retry", color: "var(--c-warn)" },
  breaker_closed: { icon: "check", color: "var(--c-ok)" },
  alert_action: { icon: "warn", color: "var(--c-warn)" },
};

export const MESSAGE_LIMIT = 100;

/** The human context of an event, as one line of text. */
function eventSummary(e: ActivityEvent): string {
  // `!= null`: the schema allows null where the server (omit_defaults) leaves fields out.
  const parts: string[] = [];
  if (e.items_count != null && ["uploading", "inserted", "updated", "deduped"].includes(e.action)) {
    parts.push(`${fmtInt(e.items_count)} items`);
    if (e.source_worker_id != null) parts.push(`from W${e.source_worker_id}`);
  }
  if (e.task) parts.push(e.task);
  if (e.item) parts.push(e.item);
  if (e.status_code != null) parts.push(String(e.status_code));
  if (e.duration_ms != null) parts.push(fmtMs(e.duration_ms));
  if (e.attempt != null && e.attempt > 1) parts.push(`attempt ${e.attempt}`);
  if (e.action === "complete" && e.items_count != null && !e.error_type)
    parts.push(`${fmtInt(e.items_count)} items`);
  if (e.error_type)
    parts.push(`${humanize(e.error_type)}${e.error_stage ? ` @ ${e.error_stage}` : ""}`);
  if (e.extra && typeof e.extra.reason === "string") parts.push(e.extra.reason);
  if (e.extra && typeof e.extra.waiting_for === "string")
    parts.push(`for ${fmtWaitingFor(e.extra.waiting_for)}`);
  if (e.extra && typeof e.extra.wait_ms === "number")
    parts.push(`${fmtMs(e.extra.wait_ms)} waiting`);
  if (e.extra && typeof e.extra.finish_reason === "string") parts.push(e.extra.finish_reason);
  if (e.action === "alert_action" && e.extra && typeof e.extra.rule === "string")
    parts.push(`rule ${e.extra.rule}: ${String(e.extra.action)} (${String(e.extra.outcome)})`);
  if (e.params && e.action === "fetching") parts.push(fmtParams(e.params));
  return parts.join(" · ");
}

function EventRowImpl({ entry, showWorker = true }: { entry: FeedEntry; showWorker?: boolean }) {
  if (entry.kind === "gap") {
    return (
      <div className="event gap" data-testid="feed-gap">
        <Icon name="warn" size={12} /> {fmtInt(entry.gap.missed)} events skipped here (the stream
        fell behind; they are in the stored history)
      </div>
    );
  }
  const e = entry.event;
  const style = ACTION_STYLE[e.action] ?? { icon: "dot", color: "var(--c-idle)" };
  const message = e.error_message ?? "";
  const summary = eventSummary(e);
  return (
    <div
      className={`event${showWorker ? "" : " no-worker"}`}
      data-testid="feed-event"
      data-action={e.action}
      data-worker={e.worker_id ?? 0}
      data-seq={e.seq}
    >
      <span className="ev-time mono subtle">{fmtClock(e.ts)}</span>
      {showWorker ? (
        <span className="ev-worker mono">{e.worker_id ? `W${e.worker_id}` : "sys"}</span>
      ) : null}
      <span className="ev-action" style={{ color: style.color }}>
        <Icon name={style.icon} size={12} />
        {humanize(e.action)}
      </span>
      <span className="ev-body">
        <span className="ev-summary ellipsis" title={summary}>
          {summary}
        </span>
        {e.url ? (
          <span className="ev-url ellipsis mono subtle" title={e.url}>
            {e.url}
          </span>
        ) : message ? (
          <span className="ev-msg ellipsis subtle" title={message}>
            {truncate(message, MESSAGE_LIMIT)}
          </span>
        ) : null}
      </span>
    </div>
  );
}

export const EventRow = memo(EventRowImpl);
