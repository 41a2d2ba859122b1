/**
 * The run's header: status badge, collection, phase, started, duration, throughput, ETA,
 * the controls the user's role allows, why the run paused when it paused itself, and why
 * it ended as it did (its finish reason).
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useNavigate } from "react-router-dom";

import { canControl, useMe } from "../auth/useAuth";
import { ApiError, api } from "../lib/api";
import { fmtDateTime, fmtDuration, fmtNum } from "../lib/format";
import type { RunFrame } from "../lib/types";
import { TERMINAL_STATUSES } from "../lib/types";
import { RunStatusBadge } from "../shared/badges";
import { ConfirmDialog } from "../shared/ConfirmDialog";
import { Icon } from "../shared/Icon";
import type { ShownFrame } from "./frames";

type Command = "pause" | "resume" | "cancel";

function controlError(error: unknown): string | null {
  if (!error) return null;
  if (error instanceof ApiError) {
    if (error.isForbidden) return `Your role may not control runs (${error.message}).`;
    if (error.isUnauthorized) return "Your session has ended: sign in again.";
    return error.message;
  }
  return error instanceof Error ? error.message : "The request failed.";
}

function Controls({ frame }: { frame: RunFrame }) {
  const me = useMe();
  const client = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const control = useMutation({
    mutationFn: (command: Command) => api.control(frame.run_id, command),
    onSettled: () => {
      void client.invalidateQueries({ queryKey: ["run", frame.run_id] });
    },
  });
  if (!canControl(me.data) || TERMINAL_STATUSES.has(frame.status)) return null;
  const paused = frame.status === "paused";
  const busy = control.isPending;
  const message = controlError(control.error);
  return (
    <div className="controls row" data-testid="run-controls">
      {paused ? (
        <button
          type="button"
          className="btn primary"
          disabled={busy}
          onClick={() => control.mutate("resume")}
          data-testid="control-resume"
        >
          <Icon name="play" /> Resume
        </button>
      ) : (
        <button
          type="button"
          className="btn"
          disabled={busy || frame.status !== "running"}
          onClick={() => control.mutate("pause")}
          data-testid="control-pause"
        >
          <Icon name="pause" /> Pause
        </button>
      )}
      <button
        type="button"
        className="btn danger"
        disabled={busy}
        onClick={() => setConfirming(true)}
        data-testid="control-cancel"
      >
        <Icon name="stop" /> Cancel
      </button>
      {message ? (
        <span className="notice error small" role="alert" data-testid="control-error">
          {message}
        </span>
      ) : null}
      {confirming ? (
        <ConfirmDialog
          title="Cancel this run?"
          confirmLabel="Cancel run"
          cancelLabel="Keep running"
          danger
          onClose={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            control.mutate("cancel");
          }}
        >
          Workers stop at once; requests in flight are abandoned. Items already written stay in the
          dataset. A cancelled run cannot be resumed.
        </ConfirmDialog>
      ) : null}
    </div>
  );
}

/**
 * For a run that has ended: continue it if it was interrupted (its runner died; the server
 * takes it up from its saved frontier), or start a new run of its failed tasks.
 */
function EndedControls({ frame }: { frame: RunFrame }) {
  const me = useMe();
  const client = useQueryClient();
  const navigate = useNavigate();
  const resume = useMutation({
    mutationFn: () => api.control(frame.run_id, "resume"),
    onSettled: () => {
      void client.invalidateQueries({ queryKey: ["run", frame.run_id] });
    },
  });
  const retry = useMutation({
    mutationFn: () => api.retry(frame.run_id),
    onSuccess: (run) => {
      void navigate(`/runs/${encodeURIComponent(run.run_id)}`);
    },
  });
  if (!canControl(me.data) || !TERMINAL_STATUSES.has(frame.status)) return null;
  const interrupted = frame.status === "interrupted";
  const failedTasks = frame.totals.tasks_failed;
  if (!interrupted && failedTasks === 0) return null;
  const message = controlError(resume.error ?? retry.error);
  const busy = resume.isPending || retry.isPending;
  return (
    <div className="controls row" data-testid="ended-controls">
      {interrupted ? (
        <button
          type="button"
          className="btn primary"
          disabled={busy}
          onClick={() => resume.mutate()}
          title="Continue from where it stopped: only the tasks in flight then run again"
          data-testid="control-resume-interrupted"
        >
          <Icon name="play" /> Resume
        </button>
      ) : null}
      {failedTasks > 0 && !interrupted ? (
        <button
          type="button"
          className="btn"
          disabled={busy}
          onClick={() => retry.mutate()}
          title="Start a new run of the tasks that failed"
          data-testid="control-retry-failed"
        >
          <Icon name="play" /> Retry {fmtNum(failedTasks)} failed tasks
        </button>
      ) : null}
      {message ? (
        <span className="notice error small" role="alert" data-testid="control-error">
          {message}
        </span>
      ) : null}
    </div>
  );
}

const FINISH_STYLE: Record<string, { tone: string; icon: "check" | "warn" | "cross" | "stop" }> = {
  completed: { tone: "ok", icon: "check" },
  completed_with_errors: { tone: "warn", icon: "warn" },
  failed: { tone: "error", icon: "cross" },
};

/** Why the run ended as it did, in the colour of its outcome. */
function FinishReason({ status, reason }: { status: string; reason: string }) {
  const style = FINISH_STYLE[status] ?? { tone: "info", icon: "stop" };
  return (
    <div
      className={`notice ${style.tone}`}
      role={status === "failed" ? "alert" : "status"}
      data-testid="finish-reason"
      data-status={status}
    >
      <Icon name={style.icon} /> {humanizeStatus(status)}: {reason}
    </div>
  );
}

function humanizeStatus(status: string): string {
  const text = status.replaceAll("_", " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function RunHeader({ frame }: { frame: ShownFrame }) {
  const facts: [string, string, string][] = [
    ["collection", frame.collection ?? "–", "collection"],
    ["phase", frame.phase ?? "–", "phase"],
    ["started", fmtDateTime(frame.started_at), "started"],
    ["duration", fmtDuration(frame.duration_s), "duration"],
    [
      "throughput",
      `${fmtNum(frame.throughput.requests_per_s)} req/s · ${fmtNum(frame.throughput.items_per_min)} items/min`,
      "throughput",
    ],
    [
      "ETA",
      frame.status === "running" || frame.status === "paused" ? fmtDuration(frame.eta_s) : "–",
      "eta",
    ],
  ];
  return (
    <header className="run-header panel" data-testid="run-header">
      <div className="run-title row">
        <RunStatusBadge status={frame.status} large />
        <h1 className="mono ellipsis" title={frame.run_id} data-testid="run-id">
          {frame.run_id}
        </h1>
        {frame.live === false && TERMINAL_STATUSES.has(frame.status) ? (
          <span className="subtle">stored final state</span>
        ) : null}
        <span className="spacer" />
        <Controls frame={frame} />
        <EndedControls frame={frame} />
      </div>
      <dl className="run-facts">
        {facts.map(([label, value, key]) => (
          <div key={key}>
            <dt>{label}</dt>
            <dd className="num" data-testid={`run-${key}`}>
              {value}
            </dd>
          </div>
        ))}
      </dl>
      {frame.status === "paused" && frame.paused_reason ? (
        <div className="notice warn" role="status" data-testid="paused-reason">
          <Icon name="pause" /> Paused: {frame.paused_reason}
        </div>
      ) : null}
      {frame.finish_reason ? (
        <FinishReason status={frame.status} reason={frame.finish_reason} />
      ) : null}
      {frame.error && !frame.finish_reason?.includes(frame.error) ? (
        <div className="notice error" role="alert" data-testid="run-error">
          {frame.error}
        </div>
      ) : null}
    </header>
  );
}
