/**
 * One worker's card: state (colour + icon + label), phase, current task/category/item,
 * URL (truncated, full on hover), request parameters, elapsed time of the current
 * request, what it waits for and since when (a `waiting` worker), attempt, how much of
 * its last task was spent waiting, small counters, and a "stalled" mark while an open
 * `worker_stalled` alert names it. A button: clicking (or
 * Enter/Space) expands it. Memoised with `cardEqual`, so an unchanged worker costs
 * nothing per frame.
 */
import { memo } from "react";

import {
  fmtInt,
  fmtMs,
  fmtParams,
  fmtRatio,
  fmtWaitingFor,
  humanize,
  truncate,
} from "../lib/format";
import type { WorkerCard } from "../lib/types";
import { WorkerStateBadge } from "../shared/badges";
import { cardEqual } from "./cardEqual";
import { Elapsed } from "./Elapsed";

export const ERROR_PREVIEW = 100;

interface Props {
  card: WorkerCard;
  selected: boolean;
  compact?: boolean;
  /** An open `worker_stalled` alert names this worker. */
  stalled?: boolean;
  onSelect: (workerId: number) => void;
}

function WorkerCardImpl({ card, selected, compact = false, stalled = false, onSelect }: Props) {
  const state = card.state ?? "idle";
  const busy = state === "requesting" && card.request_started_at;
  const waiting = state === "waiting";
  const params = fmtParams(card.params);
  const context = [card.category, card.item].filter(Boolean).join(" › ");
  return (
    <button
      type="button"
      className={`worker-card${selected ? " selected" : ""}${compact ? " compact" : ""}${
        stalled ? " stalled" : ""
      }`}
      style={{ ["--c" as string]: `var(--c-${state})` }}
      onClick={() => onSelect(card.worker_id)}
      aria-expanded={selected}
      aria-label={`Worker ${card.worker_id}, ${humanize(state)}${
        waiting ? ` for ${fmtWaitingFor(card.waiting_for)}` : ""
      }${stalled ? ", stalled" : ""}${card.task ? `, ${card.task}` : ""}`}
      data-testid="worker-card"
      data-worker={card.worker_id}
      data-state={state}
      data-stalled={stalled || undefined}
    >
      <span className="wc-head">
        <span className="wc-id mono">W{card.worker_id}</span>
        <WorkerStateBadge state={state} />
        {card.phase ? <span className="wc-phase subtle ellipsis">{card.phase}</span> : null}
        {stalled ? (
          <span
            className="wc-stalled"
            title="An open worker_stalled alert: no event for several times its median task time"
            data-testid="worker-stalled"
          >
            stalled
          </span>
        ) : null}
      </span>
      <span className="wc-task ellipsis" title={card.task ?? ""} data-testid="worker-task">
        {card.task ?? <span className="subtle">no task</span>}
      </span>
      {!compact && context ? (
        <span className="wc-context ellipsis subtle" title={context}>
          {context}
        </span>
      ) : null}
      {!compact && card.url ? (
        <span className="wc-url ellipsis mono" title={card.url} data-testid="worker-url">
          {card.method && card.method !== "GET" ? `${card.method} ` : ""}
          {card.url}
        </span>
      ) : null}
      {!compact && params ? (
        <span className="wc-params ellipsis mono subtle" title={params}>
          {params}
        </span>
      ) : null}
      {waiting ? (
        <span className="wc-waiting" data-testid="worker-waiting" data-for={card.waiting_for ?? ""}>
          for {fmtWaitingFor(card.waiting_for)}
          {card.site ? <span className="subtle"> of {card.site}</span> : null}
          {card.state_since ? (
            <>
              <span className="subtle"> · </span>
              <Elapsed since={card.state_since} testId="worker-waiting-elapsed" />
            </>
          ) : null}
        </span>
      ) : null}
      {(busy || (card.attempt ?? 1) > 1) && (
        <span className="wc-timing">
          {busy ? (
            <span>
              <span className="subtle">for </span>
              <Elapsed since={card.request_started_at as string} testId="worker-elapsed" />
            </span>
          ) : null}
          {(card.attempt ?? 1) > 1 ? (
            <span className="wc-attempt">attempt {card.attempt}</span>
          ) : null}
        </span>
      )}
      {!compact && state === "error" && card.last_error_type ? (
        <span className="wc-error ellipsis" title={card.last_error_message ?? card.last_error_type}>
          {humanize(card.last_error_type)}
          {card.last_error_message ? `: ${truncate(card.last_error_message, ERROR_PREVIEW)}` : ""}
        </span>
      ) : null}
      {!compact && card.last_wait_ms && card.last_task_ms != null ? (
        <span
          className="wc-last-task subtle num"
          data-testid="worker-last-wait"
          title="How long its last task took, and how much of that its requests waited at the site's gate (rate limit, Retry-After, breaker, connection slots)"
        >
          last task {fmtMs(card.last_task_ms)}, {fmtMs(card.last_wait_ms)} of it waiting
        </span>
      ) : null}
      <span className="wc-counters num" data-testid="worker-counters">
        <span title="requests">
          <b>{fmtInt(card.requests ?? 0)}</b> req
        </span>
        <span title="success rate">
          <b>{fmtRatio(card.success_rate ?? 0)}</b> ok
        </span>
        <span title="average latency">
          <b>{fmtMs(card.avg_ms ?? 0)}</b>
        </span>
        <span title="items / new items">
          <b>{fmtInt(card.items ?? 0)}</b>/<b>{fmtInt(card.new_items ?? 0)}</b> items
        </span>
        <span title="errors" className={(card.errors ?? 0) > 0 ? "wc-errs" : undefined}>
          <b>{fmtInt(card.errors ?? 0)}</b> err
        </span>
      </span>
    </button>
  );
}

export const WorkerCardView = memo(
  WorkerCardImpl,
  (a, b) =>
    a.selected === b.selected &&
    a.compact === b.compact &&
    a.stalled === b.stalled &&
    a.onSelect === b.onSelect &&
    cardEqual(a.card, b.card),
);
