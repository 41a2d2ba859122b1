/**
 * `/runs/new`: start a registered collection. The collection is picked from
 * `GET /api/collections`; its parameters form is generated from its `params_schema` and
 * pre-filled with its defaults; `POST /api/runs` decides. A refused start shows the
 * server's message next to the input its `field` names, keeps what was typed and moves
 * the focus there; a started run opens its page.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";

import { canControl, useMe } from "../auth/useAuth";
import { api } from "../lib/api";
import type { CollectionInfo, StartRunRequest } from "../lib/types";
import { ErrorNotice } from "../shared/ErrorNotice";
import { Icon } from "../shared/Icon";
import { Empty } from "../shared/Panel";
import { FieldError, ParamFields } from "./ParamFields";
import {
  COLLECTION,
  FORM,
  WORKERS,
  collect,
  fieldId,
  fieldKeys,
  formFields,
  initialValues,
  placeServerError,
  without,
  type FormErrors,
  type FormValues,
} from "./schemaForm";

const COLLECTIONS_KEY = ["collections"] as const;

function fieldsOf(collection: CollectionInfo | undefined) {
  return collection ? formFields(collection.params_schema, collection.defaults) : [];
}

function phasesText(collection: CollectionInfo): string {
  return collection.phases
    .map((p) => `${p.name} (${p.workers} worker${p.workers === 1 ? "" : "s"})`)
    .join(", ");
}

function StartForm({ collections }: { collections: CollectionInfo[] }) {
  const [search] = useSearchParams();
  const [name, setName] = useState(() => {
    const wanted = search.get("collection");
    if (wanted && collections.some((c) => c.name === wanted)) return wanted;
    return collections.length === 1 ? (collections[0]?.name ?? "") : "";
  });
  const collection = collections.find((c) => c.name === name);
  const fields = useMemo(() => fieldsOf(collection), [collection]);
  const keys = useMemo(() => fieldKeys(fields), [fields]);
  const [values, setValues] = useState<FormValues>(() => initialValues(fields));
  const [workers, setWorkers] = useState("");
  const [errors, setErrors] = useState<FormErrors>({});
  // A new object each time, so the same field is focused again after a second failure.
  const [focus, setFocus] = useState<{ key: string } | null>(null);
  const client = useQueryClient();
  const navigate = useNavigate();

  useEffect(() => {
    if (!focus) return;
    const id = focus.key === FORM ? "nr-form-error" : fieldId(focus.key);
    document.getElementById(id)?.focus();
  }, [focus]);

  const start = useMutation({
    mutationFn: (body: StartRunRequest) => api.startRun(body),
    onSuccess: (run) => {
      void client.invalidateQueries({ queryKey: ["runs"] });
      void client.invalidateQueries({ queryKey: ["overview"] });
      void navigate(`/runs/${encodeURIComponent(run.run_id)}`);
    },
    onError: (error) => {
      const { key, message } = placeServerError(error, keys);
      setErrors({ [key]: message });
      setFocus({ key });
    },
  });

  const clearError = useCallback((key: string) => {
    setErrors((current) => {
      if (!(key in current) && !(FORM in current)) return current;
      return without(current, key, FORM);
    });
  }, []);
  const onValue = useCallback(
    (key: string, value: string | boolean) => {
      setValues((current) => ({ ...current, [key]: value }));
      clearError(key);
    },
    [clearError],
  );

  const choose = (next: string) => {
    setName(next);
    setValues(initialValues(fieldsOf(collections.find((c) => c.name === next))));
    setErrors({});
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (start.isPending) return;
    const found: Record<string, string> = {};
    if (!collection) found[COLLECTION] = "choose a collection";
    const { params, errors: paramErrors } = collect(fields, values);
    Object.assign(found, paramErrors);
    const count = workers.trim();
    if (count !== "" && !/^\d+$/.test(count)) found[WORKERS] = "must be a whole number";
    const first = [COLLECTION, ...keys, WORKERS].find((k) => k in found);
    if (first !== undefined || !collection) {
      setErrors(found);
      setFocus({ key: first ?? COLLECTION });
      return;
    }
    setErrors({});
    start.mutate({
      collection: collection.name,
      params,
      ...(count !== "" ? { workers: Number(count) } : {}),
    });
  };

  const collectionId = fieldId(COLLECTION);
  const workersId = fieldId(WORKERS);
  const schemaDescription =
    typeof collection?.params_schema?.description === "string"
      ? collection.params_schema.description
      : null;
  return (
    <form className="panel new-run" noValidate onSubmit={submit} data-testid="new-run-form">
      <div className="nr-field" data-testid="field-collection">
        <label htmlFor={collectionId} className="nr-label">
          Collection
        </label>
        <select
          id={collectionId}
          name={COLLECTION}
          value={name}
          onChange={(e) => choose(e.target.value)}
          aria-invalid={errors[COLLECTION] ? true : undefined}
          aria-describedby={
            [
              errors[COLLECTION] ? `${collectionId}-error` : "",
              collection ? `${collectionId}-hint` : "",
            ]
              .filter(Boolean)
              .join(" ") || undefined
          }
        >
          {collection ? null : <option value="">choose a collection…</option>}
          {collections.map((c) => (
            <option key={c.name} value={c.name}>
              {c.name}
            </option>
          ))}
        </select>
        {collection ? (
          <div id={`${collectionId}-hint`} className="nr-hint" data-testid="collection-description">
            {collection.description ? <p>{collection.description}</p> : null}
            {collection.phases.length ? <p>Phases: {phasesText(collection)}</p> : null}
          </div>
        ) : null}
        <FieldError id={collectionId} error={errors[COLLECTION]} />
      </div>

      {collection ? (
        <fieldset className="nr-params" data-testid="params-fields">
          <legend>Parameters</legend>
          {schemaDescription ? <p className="nr-hint nr-doc">{schemaDescription}</p> : null}
          <ParamFields fields={fields} values={values} errors={errors} onValue={onValue} />
        </fieldset>
      ) : null}

      <div className="nr-field" data-testid="field-workers">
        <label htmlFor={workersId} className="nr-label">
          Workers per phase
          <span className="nr-kind">whole number</span>
        </label>
        <input
          type="number"
          id={workersId}
          name={WORKERS}
          value={workers}
          onChange={(e) => {
            setWorkers(e.target.value);
            clearError(WORKERS);
          }}
          min={1}
          max={1000}
          step={1}
          inputMode="numeric"
          placeholder="empty: each phase's own"
          aria-invalid={errors[WORKERS] ? true : undefined}
          aria-describedby={
            [errors[WORKERS] ? `${workersId}-error` : "", `${workersId}-hint`]
              .filter(Boolean)
              .join(" ") || undefined
          }
        />
        <p id={`${workersId}-hint`} className="nr-hint">
          from 1 to 1000; the same for every phase
        </p>
        <FieldError id={workersId} error={errors[WORKERS]} />
      </div>

      {errors[FORM] ? (
        <div
          id="nr-form-error"
          className="notice error"
          role="alert"
          tabIndex={-1}
          data-testid="new-run-error"
        >
          {errors[FORM]}
        </div>
      ) : null}

      <div className="actions">
        <Link to="/runs" className="btn">
          Cancel
        </Link>
        <button
          type="submit"
          className="btn primary"
          disabled={start.isPending}
          data-testid="new-run-submit"
        >
          <Icon name="play" /> {start.isPending ? "Starting…" : "Start run"}
        </button>
      </div>
    </form>
  );
}

export function NewRunPage() {
  const me = useMe();
  const allowed = canControl(me.data);
  const collections = useQuery({
    queryKey: COLLECTIONS_KEY,
    queryFn: api.collections,
    staleTime: 60_000,
    enabled: allowed,
  });
  let body;
  if (!me.data) body = <Empty>Loading…</Empty>;
  else if (!allowed) {
    body = (
      <div className="notice warn" role="alert" data-testid="new-run-forbidden">
        Starting runs needs the operator or admin role; you are signed in as{" "}
        {me.data.role ?? "a viewer"}.
      </div>
    );
  } else if (collections.error) {
    body = <ErrorNotice error={collections.error} what="the collections" />;
  } else if (!collections.data) body = <Empty>Loading…</Empty>;
  else if (collections.data.collections.length === 0) {
    body = (
      <div className="notice warn" data-testid="no-collections">
        This server has no collection registered, so there is nothing to start.
      </div>
    );
  } else body = <StartForm collections={collections.data.collections} />;
  return (
    <div className="stack" data-testid="new-run-page">
      <div className="page-head">
        <h1>New run</h1>
        <span className="spacer" />
        <Link to="/runs">All runs</Link>
      </div>
      {body}
    </div>
  );
}
