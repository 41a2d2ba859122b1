/** One schedule: its timing, next and last run, pause/resume/delete, and the runs it started. */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { memo, useState } from "react";
import { Link } from "react-router-dom";

import { api } from "../lib/api";
import { fmtDateTime, fmtParams } from "../lib/format";
import type { ScheduleView, SlotView } from "../lib/types";
import { RunStatusBadge } from "../shared/badges";
import { ConfirmDialog } from "../shared/ConfirmDialog";
import { ErrorNotice } from "../shared/ErrorNotice";
import { localText, timingText } from "./scheduleText";

function RunLink({ slot }: { slot: SlotView }) {
  if (!slot.run_id) return <span className="muted">–</span>;
  return (
    <Link
      to={`/runs/${encodeURIComponent(slot.run_id)}`}
      className="mono"
      data-testid="schedule-run-link"
      title={slot.run_id}
    >
      {slot.run_id.length > 12 ? `${slot.run_id.slice(0, 11)}…` : slot.run_id}
    </Link>
  );
}

function SlotRow({ slot }: { slot: SlotView }) {
  return (
    <tr data-testid="schedule-slot" data-outcome={slot.outcome}>
      <td className="nowrap">{fmtDateTime(slot.slot_at)}</td>
      <td>{slot.outcome}</td>
      <td>
        <RunLink slot={slot} />
      </td>
      <td>{slot.run_status ? <RunStatusBadge status={slot.run_status} /> : null}</td>
      <td className="muted">{slot.reason ?? ""}</td>
    </tr>
  );
}

export const ScheduleCard = memo(function ScheduleCard({ schedule }: { schedule: ScheduleView }) {
  const client = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const refresh = () => void client.invalidateQueries({ queryKey: ["schedules"] });
  const toggle = useMutation({
    mutationFn: () => api.scheduleAction(schedule.id, schedule.enabled ? "pause" : "resume"),
    onSettled: refresh,
  });
  const remove = useMutation({
    mutationFn: () => api.deleteSchedule(schedule.id),
    onSettled: refresh,
  });
  const failure = toggle.error ?? remove.error;
  return (
    <li
      className="schedule"
      data-testid="schedule"
      data-schedule={schedule.name}
      data-status={schedule.status}
    >
      <div className="row">
        <strong data-testid="schedule-title">{schedule.name}</strong>
        <span className="badge" data-testid="schedule-status" data-status={schedule.status}>
          {schedule.status}
        </span>
        <span className="muted">{schedule.collection}</span>
        <span className="muted">{timingText(schedule)}</span>
        {schedule.source === "file" ? <span className="muted">from the project file</span> : null}
        <span style={{ flex: 1 }} />
        <button
          type="button"
          className="btn small"
          onClick={() => toggle.mutate()}
          disabled={toggle.isPending}
          data-testid={schedule.enabled ? "schedule-pause" : "schedule-resume"}
        >
          {schedule.enabled ? "Pause" : "Resume"}
        </button>
        <button
          type="button"
          className="btn small danger"
          onClick={() => setConfirming(true)}
          data-testid="schedule-delete"
        >
          Delete
        </button>
      </div>
      <dl className="kv schedule-facts">
        <dt>next run</dt>
        <dd data-testid="schedule-next">
          {schedule.next_run_at ? (
            <>
              {fmtDateTime(schedule.next_run_at)} ·{" "}
              <span className="muted">
                {localText(schedule.next_run_local)} {schedule.timezone}
              </span>
            </>
          ) : (
            "– (paused)"
          )}
        </dd>
        <dt>last run</dt>
        <dd data-testid="schedule-last">
          {schedule.last_run ? (
            <span className="row">
              <RunLink slot={schedule.last_run} />
              {schedule.last_run.run_status ? (
                <RunStatusBadge status={schedule.last_run.run_status} />
              ) : null}
              <span className="muted">{fmtDateTime(schedule.last_run.slot_at)}</span>
            </span>
          ) : (
            "–"
          )}
        </dd>
        <dt>policies</dt>
        <dd>
          overlap {schedule.overlap} · catch-up {schedule.catch_up}
        </dd>
        <dt>params</dt>
        <dd className="mono">{fmtParams(schedule.params)}</dd>
      </dl>
      {failure ? <ErrorNotice error={failure} what="this change" /> : null}
      {schedule.slots.length > 0 ? (
        <details className="schedule-slots" open>
          <summary>
            Runs it started and slots ({schedule.slot_count} recorded, newest first)
          </summary>
          <div className="table-wrap">
            <table className="table" data-testid="schedule-slots">
              <thead>
                <tr>
                  <th>slot</th>
                  <th>outcome</th>
                  <th>run</th>
                  <th>status</th>
                  <th>reason</th>
                </tr>
              </thead>
              <tbody>
                {schedule.slots.map((slot) => (
                  <SlotRow key={slot.slot_at} slot={slot} />
                ))}
              </tbody>
            </table>
          </div>
        </details>
      ) : (
        <div className="muted small">No slot has come yet.</div>
      )}
      {confirming ? (
        <ConfirmDialog
          title={`Delete schedule ${schedule.name}?`}
          confirmLabel="Delete"
          danger
          onConfirm={() => {
            setConfirming(false);
            remove.mutate();
          }}
          onClose={() => setConfirming(false)}
        >
          Its slot records go; the runs it started stay.
        </ConfirmDialog>
      ) : null}
    </li>
  );
});
