/**
 * The create form: collection (from `GET /api/collections`), an interval or a cron
 * expression with its time zone, the policies and the parameters. The server checks
 * everything; its 400 is shown next to the field it names.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { memo, useMemo, useState, type FormEvent, type ReactNode } from "react";

import { ApiError, api } from "../lib/api";
import type { ScheduleCreate } from "../lib/types";
import { formFieldOf, knownZones, type FormField } from "./scheduleText";

type Errors = Partial<Record<FormField, string>>;

function FieldError({ field, errors }: { field: FormField; errors: Errors }) {
  const message = errors[field];
  if (!message) return null;
  return (
    <span className="field-error" role="alert" data-testid={`error-${field}`}>
      {message}
    </span>
  );
}

function Field({
  label,
  field,
  errors,
  children,
}: {
  label: string;
  field: FormField;
  errors: Errors;
  children: ReactNode;
}) {
  return (
    <label className="field" data-invalid={errors[field] ? "true" : undefined}>
      {label}
      {children}
      <FieldError field={field} errors={errors} />
    </label>
  );
}

export const ScheduleForm = memo(function ScheduleForm({ onCreated }: { onCreated: () => void }) {
  const client = useQueryClient();
  const collections = useQuery({ queryKey: ["collections"], queryFn: api.collections });
  const zones = useMemo(() => knownZones(), []);
  const [name, setName] = useState("");
  const [collection, setCollection] = useState("");
  const [kind, setKind] = useState<"interval" | "cron">("interval");
  const [intervalText, setIntervalText] = useState("3600");
  const [cron, setCron] = useState("0 3 * * *");
  const [timezone, setTimezone] = useState("UTC");
  const [overlap, setOverlap] = useState<ScheduleCreate["overlap"]>("skip");
  const [catchUp, setCatchUp] = useState<ScheduleCreate["catch_up"]>("skip");
  const [params, setParams] = useState("{}");
  const [errors, setErrors] = useState<Errors>({});

  const chosen = collection || collections.data?.collections[0]?.name || "";
  const create = useMutation({
    mutationFn: api.createSchedule,
    onSuccess: () => {
      setErrors({});
      setName("");
      void client.invalidateQueries({ queryKey: ["schedules"] });
      onCreated();
    },
    onError: (error) => {
      if (error instanceof ApiError) {
        setErrors({ [formFieldOf(error.field)]: error.message });
      } else {
        setErrors({ form: String(error) });
      }
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    let parsed: unknown;
    try {
      parsed = JSON.parse(params || "{}");
    } catch {
      setErrors({ params: 'parameters must be a JSON object, e.g. {"max_categories": 2}' });
      return;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      setErrors({ params: "parameters must be a JSON object" });
      return;
    }
    const body: ScheduleCreate = {
      name: name.trim(),
      collection: chosen,
      params: parsed as Record<string, unknown>,
      timezone: timezone.trim() || "UTC",
      overlap,
      catch_up: catchUp,
      ...(kind === "interval" ? { interval_s: Number(intervalText) } : { cron: cron.trim() }),
    };
    create.mutate(body);
  };

  return (
    <form className="schedule-form" onSubmit={submit} data-testid="schedule-form" noValidate>
      <Field label="Name" field="name" errors={errors}>
        <input
          value={name}
          onChange={(e) => setName(e.target.value)}
          data-testid="schedule-name"
          placeholder="nightly-shop"
          required
        />
      </Field>
      <Field label="Collection" field="collection" errors={errors}>
        <select
          value={chosen}
          onChange={(e) => setCollection(e.target.value)}
          data-testid="schedule-collection"
        >
          {(collections.data?.collections ?? []).map((c) => (
            <option key={c.name} value={c.name}>
              {c.name}
            </option>
          ))}
        </select>
      </Field>
      <fieldset className="field timing" data-testid="schedule-kind">
        <legend>Timing</legend>
        <label className="row">
          <input
            type="radio"
            name="kind"
            checked={kind === "interval"}
            onChange={() => setKind("interval")}
            data-testid="kind-interval"
          />
          every N seconds
        </label>
        <label className="row">
          <input
            type="radio"
            name="kind"
            checked={kind === "cron"}
            onChange={() => setKind("cron")}
            data-testid="kind-cron"
          />
          cron expression
        </label>
      </fieldset>
      {kind === "interval" ? (
        <Field label="Interval (seconds)" field="interval_s" errors={errors}>
          <input
            type="number"
            min="0"
            step="any"
            value={intervalText}
            onChange={(e) => setIntervalText(e.target.value)}
            data-testid="schedule-interval"
          />
        </Field>
      ) : (
        <Field label="Cron (minute hour day month weekday)" field="cron" errors={errors}>
          <input
            value={cron}
            onChange={(e) => setCron(e.target.value)}
            data-testid="schedule-cron"
            className="mono"
          />
        </Field>
      )}
      <Field label="Time zone" field="timezone" errors={errors}>
        <input
          value={timezone}
          onChange={(e) => setTimezone(e.target.value)}
          list="schedule-zones"
          data-testid="schedule-timezone"
        />
        <datalist id="schedule-zones">
          {zones.map((z) => (
            <option key={z} value={z} />
          ))}
        </datalist>
      </Field>
      <Field label="While the previous run is active" field="overlap" errors={errors}>
        <select
          value={overlap}
          onChange={(e) => setOverlap(e.target.value as ScheduleCreate["overlap"])}
          data-testid="schedule-overlap"
        >
          <option value="skip">skip the slot</option>
          <option value="queue">queue it (start when the run ends)</option>
          <option value="allow">start anyway</option>
        </select>
      </Field>
      <Field label="Slots missed while no server ran" field="catch_up" errors={errors}>
        <select
          value={catchUp}
          onChange={(e) => setCatchUp(e.target.value as ScheduleCreate["catch_up"])}
          data-testid="schedule-catch-up"
        >
          <option value="skip">skip them</option>
          <option value="once">run once now</option>
        </select>
      </Field>
      <Field label="Parameters (JSON)" field="params" errors={errors}>
        <textarea
          value={params}
          onChange={(e) => setParams(e.target.value)}
          rows={2}
          className="mono"
          data-testid="schedule-params"
        />
      </Field>
      <div className="row form-actions">
        <button
          type="submit"
          className="btn primary"
          disabled={create.isPending || !chosen}
          data-testid="schedule-submit"
        >
          Create schedule
        </button>
        <FieldError field="form" errors={errors} />
        {collections.error ? (
          <span className="field-error">could not load the collections</span>
        ) : null}
      </div>
    </form>
  );
});
