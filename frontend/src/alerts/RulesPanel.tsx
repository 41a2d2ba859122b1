/**
 * Every rule in force: enabled or off, subject, severity, where it comes from, its value
 * and last evaluation, on how many subjects it holds, its error if its condition could
 * not be evaluated, and its firing and pending alerts. Operators create, change and
 * delete API rules here; built-in and file rules say where they are changed. An API
 * rule's history (every version) opens under it.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { memo, useCallback, useState } from "react";

import { canControl, useMe } from "../auth/useAuth";
import { ApiError, api } from "../lib/api";
import { fmtAgo, fmtDateTime, fmtInt } from "../lib/format";
import type { AlertRule, RuleInfo } from "../lib/types";
import { ConfirmDialog } from "../shared/ConfirmDialog";
import { ErrorNotice } from "../shared/ErrorNotice";
import { Icon } from "../shared/Icon";
import { Empty, Panel } from "../shared/Panel";
import { SeverityBadge } from "./AlertBadges";
import { fmtFor, fmtValue, ruleOrigin, shortSource, whereToChange } from "./alertText";
import { RuleEditor } from "./RuleEditor";
import { ALERT_KEYS, useAlertRules, useRuleHistory } from "./useAlerts";

function SourceTag({ rule }: { rule: AlertRule }) {
  const origin = ruleOrigin(rule);
  return (
    <span
      className={`source-tag ${origin}`}
      title={origin === "api" ? "Defined on the dashboard or through the API" : whereToChange(rule)}
      data-testid="rule-source"
      data-origin={origin}
    >
      {shortSource(rule)}
    </span>
  );
}

function RuleHistory({ name }: { name: string }) {
  const query = useRuleHistory(name);
  if (query.error) return <ErrorNotice error={query.error} what="the rule's history" />;
  const changes = query.data?.changes;
  if (!changes) return <Empty>Loading…</Empty>;
  if (changes.length === 0) return <Empty>No stored versions.</Empty>;
  return (
    <ol className="rule-history" data-testid="rule-history">
      {changes.map((c) => (
        <li key={c.version} data-testid="rule-version" data-action={c.action}>
          <span className="num">v{c.version}</span> <b>{c.action}</b>{" "}
          <span className="subtle">
            {fmtDateTime(c.changed_at)}
            {c.changed_by ? ` by ${c.changed_by}` : ""}
          </span>
          {c.rule ? (
            <code className="mono small rule-cond">
              {c.rule.condition}
              {c.rule.for_s ? ` for ${fmtFor(c.rule.for_s)}` : ""} · {c.rule.severity ?? "warning"}
              {c.rule.enabled === false ? " · off" : ""}
            </code>
          ) : null}
        </li>
      ))}
    </ol>
  );
}

const RuleRow = memo(function RuleRow({
  info,
  operator,
  open,
  onToggle,
  onEdit,
  onDelete,
}: {
  info: RuleInfo;
  operator: boolean;
  open: boolean;
  onToggle: (name: string) => void;
  onEdit: (rule: AlertRule) => void;
  onDelete: (name: string) => void;
}) {
  const { rule } = info;
  const enabled = rule.enabled ?? true;
  const api = ruleOrigin(rule) === "api";
  return (
    <>
      <tr
        data-testid="rule-row"
        data-rule={rule.name}
        data-enabled={enabled}
        className={enabled ? undefined : "off"}
      >
        <td>
          <div className="row">
            <b className="mono">{rule.name}</b>
            <SourceTag rule={rule} />
            {!enabled ? (
              <span className="mark" data-testid="rule-off">
                off
              </span>
            ) : null}
          </div>
          <code className="mono small rule-cond" title={rule.condition}>
            {rule.condition}
          </code>
          {rule.for_s ? <span className="subtle small"> for {fmtFor(rule.for_s)}</span> : null}
          {info.error ? (
            <div className="err-text small" data-testid="rule-eval-error">
              <Icon name="warn" size={12} /> {info.error}
            </div>
          ) : null}
        </td>
        <td className="nowrap">{rule.subject ?? "run"}</td>
        <td className="nowrap">
          <SeverityBadge severity={rule.severity ?? "warning"} />
        </td>
        <td className="r num" data-testid="rule-value">
          {fmtValue(info.value)}
        </td>
        <td className="r num nowrap" title="subjects the condition holds on / subjects evaluated">
          {fmtInt(info.holding)} / {fmtInt(info.subjects)}
        </td>
        <td className="r num nowrap" data-testid="rule-open">
          <span className={info.firing > 0 ? "err-text" : undefined}>{fmtInt(info.firing)}</span>
          {" / "}
          {fmtInt(info.pending)}
        </td>
        <td className="nowrap subtle" title={fmtDateTime(info.evaluated_at)}>
          {info.evaluated_at ? fmtAgo(info.evaluated_at) : "never"}
        </td>
        <td className="nowrap">
          {api ? (
            <span className="row">
              <button
                type="button"
                className="btn small ghost"
                onClick={() => onToggle(rule.name)}
                aria-expanded={open}
                data-testid="rule-history-toggle"
              >
                history
              </button>
              {operator ? (
                <>
                  <button
                    type="button"
                    className="btn small"
                    onClick={() => onEdit(rule)}
                    data-testid="rule-edit"
                  >
                    <Icon name="pencil" size={12} /> Edit
                  </button>
                  <button
                    type="button"
                    className="btn small danger"
                    onClick={() => onDelete(rule.name)}
                    data-testid="rule-delete"
                  >
                    Delete
                  </button>
                </>
              ) : null}
            </span>
          ) : (
            <span className="subtle small" title={whereToChange(rule)}>
              read-only
            </span>
          )}
        </td>
      </tr>
      {open ? (
        <tr className="rule-history-row">
          <td colSpan={8}>
            <RuleHistory name={rule.name} />
          </td>
        </tr>
      ) : null}
    </>
  );
});

export function RulesPanel() {
  const me = useMe();
  const operator = canControl(me.data);
  const client = useQueryClient();
  const query = useAlertRules();
  const [editing, setEditing] = useState<AlertRule | "new" | null>(null);
  const [history, setHistory] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const remove = useMutation({
    mutationFn: api.deleteAlertRule,
    onSettled: () => void client.invalidateQueries({ queryKey: ALERT_KEYS.all }),
  });
  const onToggle = useCallback(
    (name: string) => setHistory((cur) => (cur === name ? null : name)),
    [],
  );
  const rules = query.data?.rules ?? [];
  const sorted = [...rules].sort(
    (a, b) =>
      b.firing - a.firing ||
      b.pending - a.pending ||
      Number(ruleOrigin(a.rule) === "builtin") - Number(ruleOrigin(b.rule) === "builtin") ||
      a.rule.name.localeCompare(b.rule.name),
  );
  const removeError =
    remove.error instanceof ApiError
      ? remove.error.message
      : remove.error
        ? String(remove.error)
        : null;
  return (
    <Panel
      title={`Rules (${rules.length})`}
      testId="alert-rules"
      flush
      actions={
        operator ? (
          <button
            type="button"
            className="btn small primary"
            onClick={() => setEditing((cur) => (cur === "new" ? null : "new"))}
            aria-expanded={editing === "new"}
            data-testid="rule-new"
          >
            <Icon name="plus" size={12} /> New rule
          </button>
        ) : null
      }
    >
      {query.data?.file_error ? (
        <div className="notice warn flush-notice" role="alert" data-testid="rule-file-error">
          <Icon name="warn" /> The rule files could not be read again; the rules in force stay:{" "}
          <span className="mono">{query.data.file_error}</span>
        </div>
      ) : null}
      {editing ? (
        <div className="panel-body editor-box" data-testid="rule-editor">
          <h3>{editing === "new" ? "New rule" : `Edit ${editing.name}`}</h3>
          <RuleEditor
            key={editing === "new" ? "" : editing.name}
            rule={editing === "new" ? undefined : editing}
            onDone={() => setEditing(null)}
          />
        </div>
      ) : null}
      {removeError ? (
        <div className="notice error flush-notice" role="alert">
          {removeError}
        </div>
      ) : null}
      {query.error ? (
        <ErrorNotice error={query.error} what="the alert rules" />
      ) : !query.data ? (
        <Empty>Loading…</Empty>
      ) : rules.length === 0 ? (
        <Empty>No rules.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table rule-table">
            <thead>
              <tr>
                <th>rule · condition</th>
                <th>subject</th>
                <th>severity</th>
                <th className="r">value</th>
                <th className="r">holding</th>
                <th className="r">firing / pending</th>
                <th>evaluated</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {sorted.map((info) => (
                <RuleRow
                  key={info.rule.name}
                  info={info}
                  operator={operator}
                  open={history === info.rule.name}
                  onToggle={onToggle}
                  onEdit={setEditing}
                  onDelete={setDeleting}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {deleting ? (
        <ConfirmDialog
          title={`Delete rule ${deleting}?`}
          confirmLabel="Delete rule"
          danger
          onClose={() => setDeleting(null)}
          onConfirm={() => {
            remove.mutate(deleting);
            setDeleting(null);
          }}
        >
          Its open alerts resolve. Its versions stay in the history.
        </ConfirmDialog>
      ) : null}
    </Panel>
  );
}
