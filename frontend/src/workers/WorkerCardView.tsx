/**
 * One worker's card: state (colour + icon + label), phase, current task/category/item,
 * URL (truncated, full on hover), request parameters, elapsed time of the current
 * request, what it waits for and since when (a `waiting` worker), attempt, how much of
 * its last task was spent waiting, small counters, and a "stalled" mark while an open
 * `worker_stalled` alert names it, the worker process it runs in (distributed runs) and a
 * "process gone" mark in place of its busy state once that process left (see
 * `processBlocks.isGone`). A button: clicking (or
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
  /** Name of the worker process holding this worker id (distributed runs). */
  process?: string;
  /** Busy, but its process is gone: it will not move again. */
  gone?: boolean;
  onSelect: (workerId: number) => void;
}

function WorkerCardImpl({
  card,
  selected,
  compact = false,
  stalled = false,
  process,
  gone = false,
  onSelect,
}: Props) {
  const state = card.state ?? "idle";
  // A gone worker's clocks would tick for ever: its last state is in the mark's title.
  const busy = !gone && state === "requesting" && card.request_started_at;
  const waiting = !gone && state === "waiting";
  const params = fmtParams(card.params);
  const context = [card.category, card.item].filter(Boolean).join(" › ");
  return (
    <button
      type="button"
      className={`worker-card${selected ? " selected" : ""}${compact ? " compact" : ""}${
        stalled ? " stalled" : ""
      }${gone ? " gone" : ""}`}
      style={{ ["--c" as string]: `var(--c-${gone ? "idle" : state})` }}
      onClick={() => onSelect(card.worker_id)}
      aria-expanded={selected}
      aria-label={`Worker ${card.worker_id}${process ? ` of ${process}` : ""}, ${
        gone ? `process gone (last ${humanize(state)})` : humanize(state)
      }${
        waiting ? ` for ${fmtWaitingFor(card.waiting_for)}` : ""
      }${stalled ? ", stalled" : ""}${card.task ? `, ${card.task}` : ""}`}
      data-testid="worker-card"
      data-worker={card.worker_id}
      data-state={state}
      data-stalled={stalled || undefined}
      data-process={process}
      data-gone={gone || undefined}
    >
      <span className="wc-head">
        <span className="wc-id mono">W{card.worker_id}</span>
        {gone ? (
          <span
            className="wc-gone"
            title={`Its worker process${process ? ` ${process}` : ""} is no longer there; last ${humanize(state)}. Its task goes to another worker once its lease runs out.`}
            data-testid="worker-gone"
          >
            process gone
          </span>
        ) : (
          <WorkerStateBadge state={state} />
        )}
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
      {process ? (
        <span
          className="wc-process mono ellipsis"
          title={`worker process ${process}`}
          data-testid="worker-process-name"
        >
          {process}
        </span>
      ) : null}
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
    a.process === b.process &&
    a.gone === b.gone &&
    a.onSelect === b.onSelect &&
    cardEqual(a.card, b.card),
);
