/**
 * The inputs generated from a collection's params schema (see `schemaForm.ts`): one per
 * field, a fieldset per nested object. Each input is labelled, says what it takes, and
 * carries its error (`aria-invalid`, `aria-describedby`). Leaf fields are memoised: typing
 * in one re-renders that one.
 */
import { memo, type ChangeEvent } from "react";

import { Icon } from "../shared/Icon";
import {
  fieldId,
  optionLabel,
  type FieldKind,
  type FieldSpec,
  type FormErrors,
  type FormValues,
} from "./schemaForm";

export type OnValue = (key: string, value: string | boolean) => void;

const KIND_LABEL: Record<FieldKind, string> = {
  string: "text",
  integer: "whole number",
  number: "number",
  boolean: "yes / no",
  enum: "one of",
  "string-list": "list, comma-separated",
  object: "group",
  json: "JSON",
};

function range(field: FieldSpec): string | null {
  if (field.kind !== "integer" && field.kind !== "number") return null;
  const { minimum: lo, maximum: hi } = field;
  if (lo !== undefined && hi !== undefined) return `from ${lo} to ${hi}`;
  if (lo !== undefined) return `at least ${lo}`;
  if (hi !== undefined) return `at most ${hi}`;
  return null;
}

/** What an empty input means, said in its placeholder. */
function emptyMeans(field: FieldSpec): string {
  if (field.nullable) return "empty: null";
  if (!field.required || field.serverDefault) return "empty: the default";
  return "";
}

/** The ids of the hint and the error, for `aria-describedby`. */
function describedBy(id: string, hint: boolean, error: boolean): string | undefined {
  const ids = [error ? `${id}-error` : "", hint ? `${id}-hint` : ""].filter(Boolean);
  return ids.length ? ids.join(" ") : undefined;
}

function Required({ required }: { required: boolean }) {
  if (!required) return null;
  return (
    <span className="nr-required" title="required">
      <span aria-hidden="true">*</span>
      <span className="sr-only"> (required)</span>
    </span>
  );
}

export function FieldError({ id, error }: { id: string; error: string | undefined }) {
  if (!error) return null;
  return (
    <p id={`${id}-error`} className="nr-error" data-testid="field-error">
      <Icon name="warn" size={14} /> {error}
    </p>
  );
}

function Hint({ id, text }: { id: string; text: string | null }) {
  return text ? (
    <p id={`${id}-hint`} className="nr-hint">
      {text}
    </p>
  ) : null;
}

function hintText(field: FieldSpec): string | null {
  const parts = [range(field), field.description ?? null].filter(Boolean);
  return parts.length ? parts.join(" · ") : null;
}

const LeafField = memo(function LeafField({
  field,
  value,
  error,
  onValue,
}: {
  field: FieldSpec;
  value: string | boolean | undefined;
  error: string | undefined;
  onValue: OnValue;
}) {
  const id = fieldId(field.key);
  const hint = hintText(field);
  const aria = {
    id,
    name: field.key,
    "aria-invalid": error ? true : undefined,
    "aria-describedby": describedBy(id, !!hint, !!error),
  } as const;
  const text = typeof value === "string" ? value : "";
  const onText = (e: ChangeEvent<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>) =>
    onValue(field.key, e.target.value);

  if (field.kind === "boolean") {
    return (
      <div className="nr-field" data-testid={`field-${field.key}`} data-kind={field.kind}>
        <label className="nr-check">
          <input
            type="checkbox"
            {...aria}
            checked={value === true}
            onChange={(e) => onValue(field.key, e.target.checked)}
          />
          <span className="mono">{field.name}</span>
        </label>
        <Hint id={id} text={hint} />
        <FieldError id={id} error={error} />
      </div>
    );
  }

  let input;
  switch (field.kind) {
    case "integer":
    case "number":
      input = (
        <input
          type="number"
          {...aria}
          value={text}
          onChange={onText}
          min={field.minimum}
          max={field.maximum}
          step={field.kind === "integer" ? 1 : "any"}
          inputMode={field.kind === "integer" ? "numeric" : "decimal"}
          placeholder={emptyMeans(field)}
          aria-required={field.required || undefined}
        />
      );
      break;
    case "enum": {
      const needsEmpty = field.nullable || !field.required || text === "";
      input = (
        <select
          {...aria}
          value={text}
          onChange={onText}
          aria-required={field.required || undefined}
        >
          {needsEmpty ? (
            <option value="">
              {field.nullable ? "null" : field.required ? "choose…" : "the default"}
            </option>
          ) : null}
          {field.options.map((option, index) => (
            <option key={index} value={String(index)}>
              {optionLabel(option)}
            </option>
          ))}
        </select>
      );
      break;
    }
    case "json":
      input = (
        <textarea
          {...aria}
          className="mono"
          value={text}
          onChange={onText}
          rows={Math.min(10, Math.max(3, text.split("\n").length + 1))}
          spellCheck={false}
          placeholder={emptyMeans(field)}
          aria-required={field.required || undefined}
        />
      );
      break;
    default:
      input = (
        <input
          type="text"
          {...aria}
          value={text}
          onChange={onText}
          spellCheck={false}
          autoComplete="off"
          placeholder={field.kind === "string-list" ? "a, b, c" : emptyMeans(field)}
          aria-required={field.required || undefined}
        />
      );
  }
  return (
    <div className="nr-field" data-testid={`field-${field.key}`} data-kind={field.kind}>
      <label htmlFor={id} className="nr-label">
        <span className="mono">{field.name}</span>
        <Required required={field.required} />
        <span className="nr-kind">{KIND_LABEL[field.kind]}</span>
      </label>
      {input}
      <Hint id={id} text={hint} />
      <FieldError id={id} error={error} />
    </div>
  );
});

function ObjectFieldset({
  field,
  values,
  errors,
  onValue,
}: {
  field: Extract<FieldSpec, { kind: "object" }>;
  values: FormValues;
  errors: FormErrors;
  onValue: OnValue;
}) {
  const id = fieldId(field.key);
  const error = errors[field.key];
  const on = !field.nullable || values[field.key] === true;
  const hint = hintText(field);
  const described = describedBy(id, !!hint, !!error);
  return (
    <fieldset
      className="nr-object"
      data-testid={`field-${field.key}`}
      data-kind="object"
      // Without a switch of its own, the fieldset takes the focus for an error about it.
      id={field.nullable ? undefined : id}
      tabIndex={field.nullable ? undefined : -1}
      aria-describedby={described}
    >
      <legend>
        <span className="mono">{field.name}</span>
        <Required required={field.required} />
      </legend>
      {field.nullable ? (
        <label className="nr-check">
          <input
            type="checkbox"
            id={id}
            name={field.key}
            checked={on}
            aria-invalid={error ? true : undefined}
            onChange={(e) => onValue(field.key, e.target.checked)}
          />
          set <span className="mono">{field.name}</span> (off: null)
        </label>
      ) : null}
      <Hint id={id} text={hint} />
      <FieldError id={id} error={error} />
      {on ? (
        <ParamFields fields={field.fields} values={values} errors={errors} onValue={onValue} />
      ) : null}
    </fieldset>
  );
}

/** Every field of `fields`, in schema order. */
export const ParamFields = memo(function ParamFields({
  fields,
  values,
  errors,
  onValue,
}: {
  fields: readonly FieldSpec[];
  values: FormValues;
  errors: FormErrors;
  onValue: OnValue;
}) {
  return (
    <>
      {fields.map((field) =>
        field.kind === "object" ? (
          <ObjectFieldset
            key={field.key}
            field={field}
            values={values}
            errors={errors}
            onValue={onValue}
          />
        ) : (
          <LeafField
            key={field.key}
            field={field}
            value={values[field.key]}
            error={errors[field.key]}
            onValue={onValue}
          />
        ),
      )}
    </>
  );
});
