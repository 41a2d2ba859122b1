/**
 * The rule editor (operators): create or change an API rule with `PUT
 * /api/alerts/rules/{name}`. The server checks everything (CEL, variables, durations);
 * its 400 is shown next to the field its `error.field` names. Beside the condition, the
 * variables a condition may use, filtered as you type.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { memo, useCallback, useMemo, useState, type FormEvent, type ReactNode } from "react";

import { ApiError, api } from "../lib/api";
import type { AlertRule } from "../lib/types";
import {
  bodyFromForm,
  EMPTY_RULE_FORM,
  FormError,
  formFromRule,
  ruleFieldOf,
  type RuleField,
  type RuleForm,
} from "./alertText";
import { ALERT_KEYS, useAlertChannels, useAlertVariables } from "./useAlerts";

type Errors = Partial<Record<RuleField, string>>;

function FieldError({ field, errors }: { field: RuleField; errors: Errors }) {
  const message = errors[field];
  if (!message) return null;
  return (
    <span className="field-error" role="alert" data-testid={`rule-error-${field}`}>
      {message}
    </span>
  );
}

function Field({
  label,
  field,
  errors,
  hint,
  wide = false,
  children,
}: {
  label: string;
  field: RuleField;
  errors: Errors;
  hint?: ReactNode;
  wide?: boolean;
  children: ReactNode;
}) {
  return (
    <label
      className={`field${wide ? " wide" : ""}`}
      data-invalid={errors[field] ? "true" : undefined}
    >
      {label}
      {children}
      {hint ? <span className="subtle">{hint}</span> : null}
      <FieldError field={field} errors={errors} />
    </label>
  );
}

/** The variables list beside the condition: click one to append it. */
const VariableList = memo(function VariableList({
  filter,
  onPick,
}: {
  filter: string;
  onPick: (name: string) => void;
}) {
  const query = useAlertVariables();
  const shown = useMemo(() => {
    const all = query.data?.variables ?? [];
    const needle = filter.trim().toLowerCase();
    return needle
      ? all.filter(
          (v) => v.name.toLowerCase().includes(needle) || v.doc.toLowerCase().includes(needle),
        )
      : all;
  }, [query.data, filter]);
  if (query.error) return <span className="field-error">could not load the variables</span>;
  return (
    <ul className="var-list" data-testid="rule-variables" aria-label="Variables">
      {shown.map((v) => (
        <li key={v.name}>
          <button
            type="button"
            className="var-name mono"
            onClick={() => onPick(v.name)}
            title={`Insert ${v.name}`}
          >
            {v.name}
          </button>
          <span className="subtle small"> {v.type}</span>
          <div className="small subtle">{v.doc}</div>
        </li>
      ))}
    </ul>
  );
});

export const RuleEditor = memo(function RuleEditor({
  rule,
  onDone,
}: {
  /** The API rule to change; a new rule when absent. */
  rule?: AlertRule;
  onDone: () => void;
}) {
  const client = useQueryClient();
  const channels = useAlertChannels();
  const [form, setForm] = useState<RuleForm>(() => (rule ? formFromRule(rule) : EMPTY_RULE_FORM));
  const [errors, setErrors] = useState<Errors>({});
  const [varFilter, setVarFilter] = useState("");
  const set = <K extends keyof RuleForm>(key: K, value: RuleForm[K]) =>
    setForm((f) => ({ ...f, [key]: value }));

  const pick = useCallback(
    (name: string) =>
      setForm((f) => ({
        ...f,
        condition: f.condition.trim() ? `${f.condition.trimEnd()} ${name}` : name,
      })),
    [],
  );

  const save = useMutation({
    mutationFn: api.putAlertRule,
    onSuccess: () => {
      setErrors({});
      void client.invalidateQueries({ queryKey: ALERT_KEYS.rules });
      if (rule) void client.invalidateQueries({ queryKey: ALERT_KEYS.ruleHistory(rule.name) });
      onDone();
    },
    onError: (error) => {
      if (error instanceof ApiError) setErrors({ [ruleFieldOf(error.field)]: error.message });
      else setErrors({ form: String(error) });
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    try {
      save.mutate(bodyFromForm(form));
    } catch (exc) {
      if (exc instanceof FormError) setErrors({ [exc.field]: exc.message });
      else throw exc;
    }
  };

  const known = channels.data?.channels.map((c) => c.name) ?? [];
  return (
    <form className="rule-form" onSubmit={submit} data-testid="rule-form" noValidate>
      <div className="rule-fields">
        <Field label="Name" field="name" errors={errors}>
          <input
            type="text"
            value={form.name}
            onChange={(e) => set("name", e.target.value)}
            readOnly={!!rule}
            placeholder="shop-errors"
            data-testid="rule-name"
          />
        </Field>
        <Field label="Severity" field="severity" errors={errors}>
          <select
            value={form.severity}
            onChange={(e) => set("severity", e.target.value as RuleForm["severity"])}
            data-testid="rule-severity"
          >
            <option value="info">info</option>
            <option value="warning">warning</option>
            <option value="critical">critical</option>
          </select>
        </Field>
        <Field
          label="Condition (CEL)"
          field="condition"
          errors={errors}
          wide
          hint="and / or / not work as && / || / !; e.g. run.error_ratio_5m > 0.2 and run.requests_5m >= 50"
        >
          <textarea
            value={form.condition}
            onChange={(e) => set("condition", e.target.value)}
            rows={3}
            className="mono"
            spellCheck={false}
            data-testid="rule-condition"
          />
        </Field>
        <Field label="Subject" field="subject" errors={errors}>
          <select
            value={form.subject}
            onChange={(e) => set("subject", e.target.value)}
            data-testid="rule-subject"
          >
            <option value="">inferred from the variables</option>
            <option value="run">run</option>
            <option value="site">site</option>
            <option value="worker">worker</option>
            <option value="schedule">schedule</option>
            <option value="system">system</option>
          </select>
        </Field>
        <Field label="For (held before firing)" field="for" errors={errors} hint="30s, 5m, 1h">
          <input
            type="text"
            value={form.for}
            onChange={(e) => set("for", e.target.value)}
            className="mono"
            data-testid="rule-for"
          />
        </Field>
        <fieldset
          className="field wide scope"
          data-invalid={errors.scope ? "true" : undefined}
          data-testid="rule-scope"
        >
          <legend>Scope (optional: only these subjects)</legend>
          <input
            type="text"
            value={form.collection}
            onChange={(e) => set("collection", e.target.value)}
            placeholder="collection"
            aria-label="Scope: collection"
            data-testid="rule-scope-collection"
          />
          <input
            type="text"
            value={form.site}
            onChange={(e) => set("site", e.target.value)}
            placeholder="site"
            aria-label="Scope: site"
          />
          <input
            type="text"
            value={form.schedule}
            onChange={(e) => set("schedule", e.target.value)}
            placeholder="schedule"
            aria-label="Scope: schedule"
          />
          <FieldError field="scope" errors={errors} />
        </fieldset>
        <Field
          label="Summary"
          field="summary"
          errors={errors}
          wide
          hint="{{ run.collection }} is replaced by the variable's value"
        >
          <input
            type="text"
            value={form.summary}
            onChange={(e) => set("summary", e.target.value)}
            data-testid="rule-summary"
          />
        </Field>
        <Field label="Labels (key=value, one a line)" field="labels" errors={errors}>
          <textarea
            value={form.labels}
            onChange={(e) => set("labels", e.target.value)}
            rows={2}
            className="mono"
            data-testid="rule-labels"
          />
        </Field>
        <Field
          label="Actions (one a line)"
          field="actions"
          errors={errors}
          hint="pause, cancel, open_breaker 5m, lower_concurrency 2"
        >
          <textarea
            value={form.actions}
            onChange={(e) => set("actions", e.target.value)}
            rows={2}
            className="mono"
            data-testid="rule-actions"
          />
        </Field>
        <Field
          label="Channels (comma-separated)"
          field="channels"
          errors={errors}
          hint={
            known.length > 0
              ? `declared: ${known.join(", ")}; empty = the default channels`
              : "empty = the default channels"
          }
        >
          <input
            type="text"
            value={form.channels}
            onChange={(e) => set("channels", e.target.value)}
            data-testid="rule-channels"
          />
        </Field>
        <label className="field check" data-invalid={errors.enabled ? "true" : undefined}>
          <span className="row">
            <input
              type="checkbox"
              checked={form.enabled}
              onChange={(e) => set("enabled", e.target.checked)}
              data-testid="rule-enabled"
            />
            enabled (evaluated)
          </span>
          <FieldError field="enabled" errors={errors} />
        </label>
        <div className="row form-actions">
          <button
            type="submit"
            className="btn primary"
            disabled={save.isPending}
            data-testid="rule-submit"
          >
            {rule ? "Save rule" : "Create rule"}
          </button>
          <button type="button" className="btn" onClick={onDone}>
            Cancel
          </button>
          <FieldError field="form" errors={errors} />
        </div>
      </div>
      <aside className="rule-vars">
        <label className="field">
          Variables
          <input
            type="search"
            value={varFilter}
            onChange={(e) => setVarFilter(e.target.value)}
            placeholder="filter: error, worker., items…"
            data-testid="rule-variables-filter"
          />
        </label>
        <VariableList filter={varFilter} onPick={pick} />
      </aside>
    </form>
  );
});
