/**
 * The "New run" form's logic, apart from React: a collection's `params_schema` (the JSON
 * Schema msgspec makes from its params type, see `registry.py`) becomes a list of field
 * specs; the typed values become the `params` of `POST /api/runs`; the server's error
 * `field` (`params.window.end`) finds the input it is about.
 *
 * Only the shapes msgspec produces for plain params are given inputs of their own; any
 * other shape (a union of two types, a dict, a list of numbers, a recursive type) becomes
 * a JSON textarea for that field, so an unusual parameter never breaks the form. The
 * server stays the judge of every value (docs/dashboard.md, "New run").
 */
import { ApiError } from "../lib/api";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

type Schema = Record<string, unknown>;

interface FieldBase {
  /** Where the server puts this field in an error's `field`: `params.window.end`. */
  key: string;
  /** The property's name in its object. */
  name: string;
  description: string | undefined;
  /** In its object's `required` list. */
  required: boolean;
  /** The schema allows `null` (an `X | None` parameter). */
  nullable: boolean;
  /** The server fills it in when it is left out (a top-level collection default). */
  serverDefault: boolean;
  /** What the form starts with: the collection's default, else the schema's `default`. */
  initial: unknown;
}

export type FieldSpec =
  | (FieldBase & { kind: "string" })
  | (FieldBase & { kind: "integer" | "number"; minimum?: number; maximum?: number })
  | (FieldBase & { kind: "boolean" })
  | (FieldBase & { kind: "enum"; options: JsonValue[] })
  | (FieldBase & { kind: "string-list" })
  | (FieldBase & { kind: "object"; fields: FieldSpec[] })
  | (FieldBase & { kind: "json" });

export type FieldKind = FieldSpec["kind"];

/**
 * What is typed, by field key: text for inputs, selects (the option's index) and JSON;
 * `true`/`false` for checkboxes and for the "set" switch of an object that may be null.
 */
export type FormValues = Readonly<Record<string, string | boolean>>;

/** Messages by field key (`collection`, `workers`, `params.x`, or `FORM` for the rest). */
export type FormErrors = Readonly<Record<string, string>>;

/** The key of errors that belong to no input: shown above the submit button. */
export const FORM = "form";

/** The key of the single JSON field used when a collection has no usable schema. */
export const WHOLE_PARAMS = "params";

// Nested objects deeper than this (or recursive types) are edited as JSON.
const MAX_DEPTH = 4;

function isObject(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A copy of `object` without `keys`. */
export function without<T extends Record<string, unknown>>(object: T, ...keys: string[]): T {
  const copy: Record<string, unknown> = { ...object };
  for (const key of keys) delete copy[key];
  return copy as T;
}

function resolve(schema: Schema, root: Schema, seen: ReadonlySet<string>): Schema | null {
  const ref = schema.$ref;
  if (typeof ref !== "string") return schema;
  const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
  if (!match || seen.has(ref)) return null; // an outside or recursive reference
  const defs = root[match[1] as string];
  const target = isObject(defs) ? defs[match[2] as string] : undefined;
  if (!isObject(target)) return null;
  // Keys next to the $ref (a property's `default`, `description`) describe the property.
  const beside = without(schema, "$ref");
  const inner = resolve(target, root, new Set([...seen, ref]));
  return inner ? { ...inner, ...beside } : null;
}

function isNull(schema: unknown): boolean {
  return isObject(schema) && schema.type === "null";
}

/** The schema with references resolved and `null` taken out of unions, enums and types. */
function unwrap(
  schema: Schema,
  root: Schema,
  seen: ReadonlySet<string>,
): { schema: Schema | null; nullable: boolean } {
  const resolved = resolve(schema, root, seen);
  if (!resolved) return { schema: null, nullable: false };
  let out = resolved;
  let nullable = false;
  for (const union of ["anyOf", "oneOf"] as const) {
    const options = out[union];
    if (!Array.isArray(options)) continue;
    const others = options.filter((o) => !isNull(o));
    nullable ||= others.length < options.length;
    const beside = without(out, union);
    if (others.length !== 1 || !isObject(others[0])) return { schema: out, nullable };
    const only = resolve(others[0], root, seen);
    if (!only) return { schema: null, nullable };
    out = { ...only, ...beside };
  }
  if (Array.isArray(out.type)) {
    const types = out.type.filter((t) => t !== "null");
    nullable ||= types.length < out.type.length;
    out = types.length === 1 ? { ...out, type: types[0] } : out;
  }
  if (Array.isArray(out.enum) && out.enum.includes(null)) {
    nullable = true;
    out = { ...out, enum: out.enum.filter((v) => v !== null) };
  }
  return { schema: out, nullable };
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function fieldFrom(
  name: string,
  raw: unknown,
  parent: { key: string; required: ReadonlySet<string>; initial: unknown; depth: number },
  root: Schema,
  defaults: Readonly<Record<string, unknown>> | null,
  seen: ReadonlySet<string>,
): FieldSpec {
  const { schema, nullable } = isObject(raw)
    ? unwrap(raw, root, seen)
    : { schema: null, nullable: false };
  // A default of `null` counts: it is what the server would use.
  const initial =
    isObject(parent.initial) && name in parent.initial ? parent.initial[name] : schema?.default;
  const base: FieldBase = {
    key: `${parent.key}.${name}`,
    name,
    description: typeof schema?.description === "string" ? schema.description : undefined,
    required: parent.required.has(name),
    nullable,
    serverDefault: defaults !== null && name in defaults,
    initial,
  };
  if (!schema) return { ...base, kind: "json" };
  if ("const" in schema) return { ...base, kind: "enum", options: [schema.const as JsonValue] };
  if (Array.isArray(schema.enum)) {
    return { ...base, kind: "enum", options: schema.enum as JsonValue[] };
  }
  switch (schema.type) {
    case "string":
      return { ...base, kind: "string" };
    case "integer":
    case "number": {
      const minimum = numberOrUndefined(schema.minimum);
      const maximum = numberOrUndefined(schema.maximum);
      return {
        ...base,
        kind: schema.type,
        ...(minimum !== undefined ? { minimum } : {}),
        ...(maximum !== undefined ? { maximum } : {}),
      };
    }
    case "boolean":
      return { ...base, kind: "boolean" };
    case "array": {
      const items = isObject(schema.items) ? unwrap(schema.items, root, seen) : null;
      const plain =
        items?.schema?.type === "string" && !items.nullable && !("enum" in items.schema);
      return { ...base, kind: plain ? "string-list" : "json" };
    }
    case "object": {
      const fields = objectFields(schema, root, null, base.key, base.initial, parent.depth + 1);
      return fields ? { ...base, kind: "object", fields } : { ...base, kind: "json" };
    }
    default:
      return { ...base, kind: "json" };
  }
}

function objectFields(
  schema: Schema,
  root: Schema,
  defaults: Readonly<Record<string, unknown>> | null,
  key: string,
  initial: unknown,
  depth: number,
): FieldSpec[] | null {
  const properties = schema.properties;
  if (!isObject(properties) || Object.keys(properties).length === 0 || depth > MAX_DEPTH) {
    return null;
  }
  const required = new Set(
    Array.isArray(schema.required) ? schema.required.filter((r) => typeof r === "string") : [],
  );
  const parent = { key, required, initial, depth };
  return Object.entries(properties).map(([name, raw]) =>
    fieldFrom(name, raw, parent, root, defaults, new Set()),
  );
}

/**
 * The fields of a collection's form. A collection without a schema, or one whose top
 * level is not an object with properties, gets one JSON field for all its params.
 */
export function formFields(
  paramsSchema: Readonly<Record<string, unknown>> | null | undefined,
  defaults: Readonly<Record<string, unknown>> = {},
): FieldSpec[] {
  if (paramsSchema) {
    const top = unwrap(paramsSchema, paramsSchema, new Set()).schema;
    const fields = top ? objectFields(top, paramsSchema, defaults, "params", defaults, 0) : null;
    if (fields) return fields;
  }
  return [
    {
      key: WHOLE_PARAMS,
      name: "params",
      kind: "json",
      description: "An object of parameters; leave it empty to use the collection's defaults.",
      required: false,
      nullable: false,
      serverDefault: true,
      initial: Object.keys(defaults).length > 0 ? defaults : undefined,
    },
  ];
}

/** Every field key, nested ones included (objects too: an error can be about one). */
export function fieldKeys(fields: readonly FieldSpec[]): string[] {
  return fields.flatMap((f) => (f.kind === "object" ? [f.key, ...fieldKeys(f.fields)] : [f.key]));
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** What the form shows first for each field (see `FormValues`). */
export function initialValues(fields: readonly FieldSpec[]): Record<string, string | boolean> {
  const values: Record<string, string | boolean> = {};
  for (const field of fields) {
    const v = field.initial;
    switch (field.kind) {
      case "string":
        values[field.key] = typeof v === "string" ? v : "";
        break;
      case "integer":
      case "number":
        values[field.key] = typeof v === "number" ? String(v) : "";
        break;
      case "boolean":
        values[field.key] = v === true;
        break;
      case "enum": {
        const index = v === undefined ? -1 : field.options.findIndex((o) => sameJson(o, v));
        values[field.key] = index >= 0 ? String(index) : "";
        break;
      }
      case "string-list":
        values[field.key] =
          Array.isArray(v) && v.every((s) => typeof s === "string") ? v.join(", ") : "";
        break;
      case "object":
        // The "set" switch of an object that may be null: on when it starts as an object.
        if (field.nullable) values[field.key] = isObject(v);
        Object.assign(values, initialValues(field.fields));
        break;
      case "json":
        values[field.key] = v === undefined || v === null ? "" : JSON.stringify(v, null, 2);
        break;
    }
  }
  return values;
}

/** `1`, `1.5`, `-3`, `2e3`; not `""`, `0x10`, `1,5` or `Infinity`. */
function parseNumber(text: string): number | null {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

type Parsed = { value: JsonValue } | { error: string } | "empty";

function parseField(field: FieldSpec, raw: string | boolean | undefined): Parsed {
  if (field.kind === "boolean") return { value: raw === true };
  const text = typeof raw === "string" ? raw : "";
  if (field.kind === "string-list") {
    const items = text
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    return items.length === 0 && field.nullable ? { value: null } : { value: items };
  }
  if ((field.kind === "string" ? text : text.trim()) === "") return "empty";
  switch (field.kind) {
    case "string":
      return { value: text };
    case "integer":
    case "number": {
      const n = parseNumber(text.trim());
      if (n === null) return { error: "must be a number" };
      if (field.kind === "integer" && !Number.isInteger(n)) {
        return { error: "must be a whole number" };
      }
      return { value: n };
    }
    case "enum": {
      const option = field.options[Number(text)];
      return option === undefined ? "empty" : { value: option };
    }
    case "json":
      try {
        return { value: JSON.parse(text) as JsonValue };
      } catch (exc) {
        return { error: `is not valid JSON (${exc instanceof Error ? exc.message : "?"})` };
      }
    default:
      return "empty";
  }
}

export interface Collected {
  params: Record<string, JsonValue>;
  errors: Record<string, string>;
}

/**
 * The `params` the form's values make, and the client-side errors (unparsable numbers or
 * JSON, a required field left empty). An empty field means "no value": `null` where the
 * schema allows it, otherwise the parameter is left out so the server's default applies
 * (an empty list is `[]`; a checkbox is always `true` or `false`).
 */
export function collect(fields: readonly FieldSpec[], values: FormValues): Collected {
  const params: Record<string, JsonValue> = {};
  const errors: Record<string, string> = {};
  for (const field of fields) {
    if (field.kind === "object") {
      if (field.nullable && values[field.key] !== true) {
        params[field.name] = null;
        continue;
      }
      const inner = collect(field.fields, values);
      const untouched =
        Object.keys(inner.params).length === 0 &&
        Object.values(inner.errors).every((e) => e === "required");
      // An optional object left wholly empty is left out: the server's default applies.
      if (untouched && !field.required && !field.nullable) continue;
      Object.assign(errors, inner.errors);
      params[field.name] = inner.params;
      continue;
    }
    const parsed = parseField(field, values[field.key]);
    if (parsed === "empty") {
      if (field.nullable) params[field.name] = null;
      else if (field.required && !field.serverDefault) errors[field.key] = "required";
    } else if ("error" in parsed) {
      errors[field.key] = parsed.error;
    } else {
      params[field.name] = parsed.value;
    }
  }
  if (fields.length === 1 && fields[0]?.key === WHOLE_PARAMS) {
    const whole = params.params;
    if (whole !== undefined && !isObject(whole)) errors[WHOLE_PARAMS] = "must be a JSON object";
    return { params: isObject(whole) ? whole : {}, errors };
  }
  return { params, errors };
}

/**
 * The form key an API error's `field` belongs to: itself when an input has that key, else
 * the nearest enclosing one (`params.tags[1]` -> `params.tags`, `params.window.x` ->
 * `params.window`), else `FORM` (no field, `body`, `params` as a whole, an unknown name).
 */
export function errorTarget(field: string | null | undefined, keys: Iterable<string>): string {
  if (!field) return FORM;
  const known = new Set(keys);
  let path = field;
  for (;;) {
    if (known.has(path)) return path;
    const cut = Math.max(path.lastIndexOf("."), path.lastIndexOf("["));
    if (cut <= 0) return FORM;
    path = path.slice(0, cut);
  }
}

/** An element id for a field key (ids may not hold every character a key may). */
export function fieldId(key: string): string {
  return `nr-${key.replace(/[^A-Za-z0-9-]/g, (c) => `_${c.charCodeAt(0).toString(16)}_`)}`;
}

/** An option's label in a select: strings as they are, other values as JSON. */
export function optionLabel(option: JsonValue): string {
  return typeof option === "string" ? option : JSON.stringify(option);
}

/** The keys of the form's own inputs around the generated ones. */
export const COLLECTION = "collection";
export const WORKERS = "workers";

/**
 * Where a failed start's message goes and what it says: a `400`/`422` next to the input
 * its `field` names (see `errorTarget`), a `401`/`403` or a failure without a field above
 * the submit button.
 */
export function placeServerError(
  error: unknown,
  keys: Iterable<string>,
): { key: string; message: string } {
  if (!(error instanceof ApiError)) {
    return { key: FORM, message: error instanceof Error ? error.message : String(error) };
  }
  if (error.isUnauthorized) return { key: FORM, message: "Your session has ended: sign in again." };
  if (error.isForbidden) {
    return { key: FORM, message: `Your role may not start runs (${error.message}).` };
  }
  return { key: errorTarget(error.field, [COLLECTION, WORKERS, ...keys]), message: error.message };
}
