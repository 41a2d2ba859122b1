import { describe, expect, it } from "vitest";

import { ApiError } from "../lib/api";
import {
  FORM,
  WHOLE_PARAMS,
  collect,
  errorTarget,
  fieldId,
  fieldKeys,
  formFields,
  initialValues,
  placeServerError,
  type FieldSpec,
} from "./schemaForm";

/**
 * What `msgspec.json.schema` makes of this (the top level inlined by `registry.py`):
 *
 *     class Color(enum.Enum): RED = "red"; BLUE = "blue"
 *     class Window(msgspec.Struct):
 *         start: str
 *         end: str = "2026-12-31"
 *     class Params(msgspec.Struct):
 *         base_url: str
 *         pages: Annotated[int, Meta(ge=1, le=50, description="Pages per category")] = 5
 *         ratio: float | None = None
 *         fast: bool = False
 *         mode: Literal["full", "delta"] = "full"
 *         color: Color = Color.RED
 *         tags: list[str] = []
 *         window: Window = Window("2026-01-01")   (default_factory: no "default" in the schema)
 *         limit_window: Window | None = None
 *         headers: dict[str, str] = {}
 *         either: int | str = 1
 *         ids: list[int] = []
 */
const SCHEMA = {
  title: "Params",
  description: "Parameters of a test run.",
  type: "object",
  properties: {
    base_url: { type: "string" },
    pages: {
      description: "Pages per category",
      type: "integer",
      minimum: 1,
      maximum: 50,
      default: 5,
    },
    ratio: { anyOf: [{ type: "number" }, { type: "null" }], default: null },
    fast: { type: "boolean", default: false },
    mode: { enum: ["delta", "full"], default: "full" },
    color: { $ref: "#/$defs/Color", default: "red" },
    tags: { type: "array", items: { type: "string" }, default: [] },
    window: { $ref: "#/$defs/Window" },
    limit_window: { anyOf: [{ $ref: "#/$defs/Window" }, { type: "null" }], default: null },
    headers: { type: "object", additionalProperties: { type: "string" }, default: {} },
    either: { anyOf: [{ type: "integer" }, { type: "string" }], default: 1 },
    ids: { type: "array", items: { type: "integer" }, default: [] },
  },
  required: ["base_url"],
  additionalProperties: false,
  $defs: {
    Window: {
      title: "Window",
      type: "object",
      properties: {
        start: { type: "string" },
        end: { type: "string", default: "2026-12-31" },
      },
      required: ["start"],
    },
    Color: { title: "Color", enum: ["blue", "red"] },
  },
};

const DEFAULTS = { base_url: "http://127.0.0.1:8001", window: { start: "2026-01-01" } };

function byKey(fields: readonly FieldSpec[], key: string): FieldSpec {
  for (const field of fields) {
    if (field.key === key) return field;
    if (field.kind === "object") {
      try {
        return byKey(field.fields, key);
      } catch {
        // not in this object
      }
    }
  }
  throw new Error(`no field ${key}`);
}

describe("formFields: one input kind per schema shape", () => {
  const fields = formFields(SCHEMA, DEFAULTS);

  it("maps every property, in schema order, to its kind", () => {
    expect(fields.map((f) => [f.name, f.kind])).toEqual([
      ["base_url", "string"],
      ["pages", "integer"],
      ["ratio", "number"],
      ["fast", "boolean"],
      ["mode", "enum"],
      ["color", "enum"],
      ["tags", "string-list"],
      ["window", "object"],
      ["limit_window", "object"],
      ["headers", "json"],
      ["either", "json"],
      ["ids", "json"],
    ]);
  });

  it("keys every field the way the server names it in an error", () => {
    expect(fieldKeys(fields)).toEqual([
      "params.base_url",
      "params.pages",
      "params.ratio",
      "params.fast",
      "params.mode",
      "params.color",
      "params.tags",
      "params.window",
      "params.window.start",
      "params.window.end",
      "params.limit_window",
      "params.limit_window.start",
      "params.limit_window.end",
      "params.headers",
      "params.either",
      "params.ids",
    ]);
  });

  it("keeps the bounds and the description of a number", () => {
    expect(byKey(fields, "params.pages")).toMatchObject({
      kind: "integer",
      minimum: 1,
      maximum: 50,
      description: "Pages per category",
    });
  });

  it("resolves $ref enums to their options", () => {
    expect(byKey(fields, "params.color")).toMatchObject({ kind: "enum", options: ["blue", "red"] });
    expect(byKey(fields, "params.mode")).toMatchObject({
      kind: "enum",
      options: ["delta", "full"],
    });
  });

  it("reads required and nullable from the schema, and collection defaults as server-filled", () => {
    const flags = (key: string) => {
      const f = byKey(fields, key);
      return [f.required, f.nullable, f.serverDefault];
    };
    expect(flags("params.base_url")).toEqual([true, false, true]);
    expect(flags("params.pages")).toEqual([false, false, false]);
    expect(flags("params.ratio")).toEqual([false, true, false]);
    expect(flags("params.window.start")).toEqual([true, false, false]);
    expect(flags("params.window.end")).toEqual([false, false, false]);
    expect(flags("params.limit_window")).toEqual([false, true, false]);
  });

  it("pre-fills from the collection's defaults first, then the schema's default", () => {
    const values = initialValues(fields);
    expect(values).toEqual({
      "params.base_url": "http://127.0.0.1:8001", // collection default
      "params.pages": "5",
      "params.ratio": "",
      "params.fast": false,
      "params.mode": "1", // index of "full"
      "params.color": "1", // index of "red"
      "params.tags": "",
      "params.window.start": "2026-01-01", // from the collection's default object
      "params.window.end": "2026-12-31", // the nested schema's default
      "params.limit_window": false, // default null: the switch starts off
      "params.limit_window.start": "",
      "params.limit_window.end": "2026-12-31",
      "params.headers": "{}",
      "params.either": "1",
      "params.ids": "[]",
    });
  });

  it("lets a collection default of null win over the schema's default", () => {
    const values = initialValues(formFields(SCHEMA, { pages: null, tags: ["a", "b"] }));
    expect(values["params.pages"]).toBe("");
    expect(values["params.tags"]).toBe("a, b");
  });

  it("falls back to one JSON field for no schema, or a top level without properties", () => {
    for (const schema of [null, undefined, { type: "object" }, { type: "array" }]) {
      const fallback = formFields(schema, { a: 1 });
      expect(fallback).toHaveLength(1);
      expect(fallback[0]).toMatchObject({ key: WHOLE_PARAMS, kind: "json", initial: { a: 1 } });
    }
  });

  it("edits unresolvable and recursive shapes as JSON instead of failing", () => {
    const odd = formFields({
      type: "object",
      properties: {
        outside: { $ref: "https://example.com/schema.json" },
        missing: { $ref: "#/$defs/Nope" },
        node: { $ref: "#/$defs/Node" },
        weird: true,
        pair: { type: ["integer", "string"] },
        maybe: { type: ["integer", "null"], minimum: 0 },
      },
      $defs: {
        Node: { type: "object", properties: { child: { $ref: "#/$defs/Node" } } },
      },
    });
    expect(odd.map((f) => [f.name, f.kind])).toEqual([
      ["outside", "json"],
      ["missing", "json"],
      ["node", "object"],
      ["weird", "json"],
      ["pair", "json"],
      ["maybe", "integer"],
    ]);
    expect(byKey(odd, "params.maybe")).toMatchObject({ nullable: true, minimum: 0 });
    // The recursive type nests a few levels, then the innermost level is JSON.
    let node = byKey(odd, "params.node");
    let depth = 0;
    while (node.kind === "object") {
      node = node.fields[0] as FieldSpec;
      depth += 1;
    }
    expect(node.kind).toBe("json");
    expect(depth).toBeGreaterThan(1);
    expect(depth).toBeLessThan(10);
  });
});

describe("collect: the values become params", () => {
  const fields = formFields(SCHEMA, DEFAULTS);

  it("sends the pre-filled form as the defaults it shows", () => {
    const { params, errors } = collect(fields, initialValues(fields));
    expect(errors).toEqual({});
    expect(params).toEqual({
      base_url: "http://127.0.0.1:8001",
      pages: 5,
      ratio: null,
      fast: false,
      mode: "full",
      color: "red",
      tags: [],
      window: { start: "2026-01-01", end: "2026-12-31" },
      limit_window: null,
      headers: {},
      either: 1,
      ids: [],
    });
  });

  it("converts each kind of input", () => {
    const values = {
      ...initialValues(fields),
      "params.pages": " 12 ",
      "params.ratio": "0.25",
      "params.fast": true,
      "params.mode": "0",
      "params.tags": " shoes , ,lamps,",
      "params.limit_window": true,
      "params.limit_window.start": "2026-03-01",
      "params.headers": '{"x-a": "1"}',
      "params.either": '"text"',
    };
    const { params, errors } = collect(fields, values);
    expect(errors).toEqual({});
    expect(params).toMatchObject({
      pages: 12,
      ratio: 0.25,
      fast: true,
      mode: "delta",
      tags: ["shoes", "lamps"],
      limit_window: { start: "2026-03-01", end: "2026-12-31" },
      headers: { "x-a": "1" },
      either: "text",
    });
  });

  it("leaves out what is emptied, sends null where the schema allows it", () => {
    const values = {
      ...initialValues(fields),
      "params.pages": "",
      "params.mode": "",
      "params.headers": "  ",
      "params.ratio": "",
      "params.window.start": "",
      "params.window.end": "",
    };
    const { params, errors } = collect(fields, values);
    expect(errors).toEqual({});
    // An optional object left wholly empty is left out too (its `start` is not asked for).
    expect(params).not.toHaveProperty("window");
    expect(params).not.toHaveProperty("pages");
    expect(params).not.toHaveProperty("mode");
    expect(params).not.toHaveProperty("headers");
    expect(params.ratio).toBeNull();
  });

  it("refuses what cannot be sent, by field key", () => {
    const values = {
      ...initialValues(fields),
      "params.pages": "2.5",
      "params.ratio": "abc",
      "params.window.start": "",
      "params.headers": "{nope",
    };
    const { errors } = collect(fields, values);
    expect(Object.keys(errors).sort()).toEqual([
      "params.headers",
      "params.pages",
      "params.ratio",
      "params.window.start",
    ]);
    expect(errors["params.pages"]).toBe("must be a whole number");
    expect(errors["params.ratio"]).toBe("must be a number");
    expect(errors["params.window.start"]).toBe("required");
    expect(errors["params.headers"]).toMatch(/^is not valid JSON/);
  });

  it("does not require what a collection default fills in; the server decides", () => {
    const { params, errors } = collect(fields, {
      ...initialValues(fields),
      "params.base_url": "",
    });
    expect(errors).toEqual({});
    expect(params).not.toHaveProperty("base_url");
  });

  it("does not check bounds: the server does", () => {
    const { params, errors } = collect(fields, { ...initialValues(fields), "params.pages": "-3" });
    expect(errors).toEqual({});
    expect(params.pages).toBe(-3);
  });

  it("sends the whole-params JSON field as the params object", () => {
    const whole = formFields(null);
    expect(collect(whole, { params: '{"a": [1, 2]}' })).toEqual({
      params: { a: [1, 2] },
      errors: {},
    });
    expect(collect(whole, { params: "" })).toEqual({ params: {}, errors: {} });
    expect(collect(whole, { params: "[1]" }).errors).toEqual({ params: "must be a JSON object" });
  });
});

describe("errorTarget: the server's field finds its input", () => {
  const keys = ["collection", "workers", ...fieldKeys(formFields(SCHEMA, DEFAULTS))];

  it.each([
    ["params.window.end", "params.window.end"],
    ["params.pages", "params.pages"],
    ["params.tags[1]", "params.tags"],
    ["params.window.unknown", "params.window"],
    ["params.limit_window", "params.limit_window"],
    ["collection", "collection"],
    ["workers", "workers"],
    ["params", FORM],
    ["params.not_a_param", FORM],
    ["body", FORM],
    ["", FORM],
    [undefined, FORM],
  ])("%s -> %s", (field, target) => {
    expect(errorTarget(field, keys)).toBe(target);
  });

  it("puts everything about params on the JSON field when that is the form", () => {
    expect(errorTarget("params.a.b", [WHOLE_PARAMS])).toBe(WHOLE_PARAMS);
  });

  it("places API errors by status", () => {
    const keys = fieldKeys(formFields(SCHEMA, DEFAULTS));
    const bad = new ApiError(
      400,
      "bad_request",
      "params.pages: Expected `int` >= 1",
      "params.pages",
    );
    expect(placeServerError(bad, keys)).toEqual({
      key: "params.pages",
      message: "params.pages: Expected `int` >= 1",
    });
    const workers = new ApiError(422, "invalid", "workers: too many", "workers");
    expect(placeServerError(workers, keys).key).toBe("workers");
    const forbidden = new ApiError(403, "forbidden", "needs operator");
    expect(placeServerError(forbidden, keys)).toEqual({
      key: FORM,
      message: "Your role may not start runs (needs operator).",
    });
    expect(placeServerError(new Error("boom"), keys)).toEqual({ key: FORM, message: "boom" });
  });
});

describe("fieldId", () => {
  it("makes distinct, valid ids from keys", () => {
    const ids = ["params.a.b", "params.a_b", "params.a-b", "params.tags[1]"].map(fieldId);
    expect(new Set(ids).size).toBe(4);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z][A-Za-z0-9_-]*$/);
  });
});
