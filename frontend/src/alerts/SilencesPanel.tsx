/**
 * Silences: those in force, then those ended; operators add one (matchers as text lines,
 * a duration, a comment) and end one now. Silenced alerts still change state and show,
 * marked; only their notifications are held back.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { memo, useState, type FormEvent } from "react";

import { canControl, useMe } from "../auth/useAuth";
import { ApiError, api } from "../lib/api";
import { fmtDateTime } from "../lib/format";
import type { Silence } from "../lib/types";
import { ErrorNotice } from "../shared/ErrorNotice";
import { Icon } from "../shared/Icon";
import { Empty, Panel } from "../shared/Panel";
import { matcherLines, matcherText, silenceActive } from "./alertText";
import { ALERT_KEYS, useSilences } from "./useAlerts";

type SilenceField = "matchers" | "duration" | "comment" | "form";

export const SilenceForm = memo(function SilenceForm({ onAdded }: { onAdded: () => void }) {
  const client = useQueryClient();
  const [matchers, setMatchers] = useState("");
  const [duration, setDuration] = useState("2h");
  const [comment, setComment] = useState("");
  const [errors, setErrors] = useState<Partial<Record<SilenceField, string>>>({});
  const add = useMutation({
    mutationFn: api.addSilence,
    onSuccess: () => {
      setErrors({});
      setMatchers("");
      setComment("");
      void client.invalidateQueries({ queryKey: ALERT_KEYS.silences });
      void client.invalidateQueries({ queryKey: ALERT_KEYS.all });
      onAdded();
    },
    onError: (error) => {
      const field: SilenceField =
        error instanceof ApiError && error.field === "matchers"
          ? "matchers"
          : error instanceof ApiError && (error.field === "duration" || error.field === "ends_at")
            ? "duration"
            : "form";
      setErrors({ [field]: error.message });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const lines = matcherLines(matchers);
    if (lines.length === 0) {
      setErrors({ matchers: "at least one matcher, e.g. collection=shop" });
      return;
    }
    add.mutate({ matchers: lines, duration: duration.trim() || null, comment });
  };
  const invalid = (f: SilenceField) => (errors[f] ? "true" : undefined);
  const message = (f: SilenceField) =>
    errors[f] ? (
      <span className="field-error" role="alert" data-testid={`silence-error-${f}`}>
        {errors[f]}
      </span>
    ) : null;
  return (
    <form className="silence-form" onSubmit={submit} data-testid="silence-form" noValidate>
      <label className="field" data-invalid={invalid("matchers")}>
        Matchers (one a line: label=value, !=, =~regex, !~regex)
        <textarea
          value={matchers}
          onChange={(e) => setMatchers(e.target.value)}
          rows={3}
          className="mono"
          placeholder={"collection=shop\nrule=~worker_.*"}
          data-testid="silence-matchers"
        />
        {message("matchers")}
      </label>
      <div className="stack">
        <label className="field" data-invalid={invalid("duration")}>
          For
          <input
            type="text"
            value={duration}
            onChange={(e) => setDuration(e.target.value)}
            className="mono"
            placeholder="2h"
            data-testid="silence-duration"
          />
          {message("duration")}
        </label>
        <label className="field">
          Comment
          <input
            type="text"
            value={comment}
            onChange={(e) => setComment(e.target.value)}
            placeholder="why, who is on it"
            data-testid="silence-comment"
          />
        </label>
      </div>
      <div className="row form-actions">
        <button
          type="submit"
          className="btn primary"
          disabled={add.isPending}
          data-testid="silence-submit"
        >
          <Icon name="mute" size={14} /> Add silence
        </button>
        {message("form")}
      </div>
    </form>
  );
});

const SilenceRow = memo(function SilenceRow({
  silence,
  active,
  operator,
  onEnd,
}: {
  silence: Silence;
  active: boolean;
  operator: boolean;
  onEnd: (id: string) => void;
}) {
  return (
    <tr data-testid="silence-row" data-silence={silence.id} data-active={active}>
      <td>
        <span className="chips">
          {silence.matchers.map((m) => (
            <span key={matcherText(m)} className="chip mono">
              {matcherText(m)}
            </span>
          ))}
        </span>
        {silence.comment ? <div className="small subtle">{silence.comment}</div> : null}
      </td>
      <td className="nowrap num">{fmtDateTime(silence.starts_at)}</td>
      <td className="nowrap num">
        {fmtDateTime(silence.expired_at ?? silence.ends_at)}
        {silence.expired_at ? <span className="subtle small"> (ended early)</span> : null}
      </td>
      <td className="nowrap subtle">{silence.created_by ?? "–"}</td>
      <td className="nowrap mono small">{silence.id}</td>
      <td className="nowrap">
        {active && operator ? (
          <button
            type="button"
            className="btn small"
            onClick={() => onEnd(silence.id)}
            data-testid="silence-end"
          >
            End now
          </button>
        ) : null}
      </td>
    </tr>
  );
});

export function SilencesPanel() {
  const me = useMe();
  const operator = canControl(me.data);
  const client = useQueryClient();
  const query = useSilences();
  const [adding, setAdding] = useState(false);
  const [showEnded, setShowEnded] = useState(false);
  const end = useMutation({
    mutationFn: api.endSilence,
    onSettled: () => void client.invalidateQueries({ queryKey: ALERT_KEYS.all }),
  });
  // "In force" as of the last fetch (polled, and refetched after every change).
  const now = query.dataUpdatedAt;
  const silences = query.data?.silences ?? [];
  const active = silences.filter((s) => silenceActive(s, now));
  const ended = silences.filter((s) => !silenceActive(s, now));
  const shown = showEnded ? [...active, ...ended] : active;
  return (
    <Panel
      title={`Silences (${active.length} in force)`}
      testId="alert-silences"
      flush
      actions={
        <>
          <label className="row small subtle">
            <input
              type="checkbox"
              checked={showEnded}
              onChange={(e) => setShowEnded(e.target.checked)}
              data-testid="silences-show-ended"
            />
            ended ({ended.length})
          </label>
          {operator ? (
            <button
              type="button"
              className="btn small primary"
              onClick={() => setAdding((a) => !a)}
              aria-expanded={adding}
              data-testid="silence-new"
            >
              <Icon name="plus" size={12} /> Add silence
            </button>
          ) : null}
        </>
      }
    >
      {adding ? (
        <div className="panel-body editor-box">
          <SilenceForm onAdded={() => setAdding(false)} />
        </div>
      ) : null}
      {end.error ? (
        <div className="notice error flush-notice" role="alert">
          {end.error.message}
        </div>
      ) : null}
      {query.error ? (
        <ErrorNotice error={query.error} what="the silences" />
      ) : !query.data ? (
        <Empty>Loading…</Empty>
      ) : shown.length === 0 ? (
        <Empty>No silence in force.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="silence-table">
            <thead>
              <tr>
                <th>matchers</th>
                <th>from</th>
                <th>until</th>
                <th>by</th>
                <th>id</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {shown.map((s) => (
                <SilenceRow
                  key={s.id}
                  silence={s}
                  active={silenceActive(s, now)}
                  operator={operator}
                  onEnd={end.mutate}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Panel>
  );
}
