import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useCallback, useState } from "react";
import { describe, expect, it } from "vitest";

import { ParamFields } from "./ParamFields";
import { collect, formFields, initialValues, type FormErrors, type FormValues } from "./schemaForm";

const SCHEMA = {
  type: "object",
  properties: {
    pages: { type: "integer", minimum: 1, maximum: 50, default: 5, description: "Per category" },
    fast: { type: "boolean", default: false },
    tags: { type: "array", items: { type: "string" }, default: ["a"] },
    headers: { type: "object", additionalProperties: { type: "string" }, default: {} },
    limit: {
      anyOf: [
        {
          type: "object",
          properties: { start: { type: "string" } },
          required: ["start"],
        },
        { type: "null" },
      ],
      default: null,
    },
  },
  required: [],
};

/** The fields with their own state, and what `collect` makes of it, shown for assertions. */
function Harness({ errors = {} }: { errors?: FormErrors }) {
  const fields = formFields(SCHEMA);
  const [values, setValues] = useState<FormValues>(() => initialValues(fields));
  const onValue = useCallback(
    (key: string, value: string | boolean) => setValues((v) => ({ ...v, [key]: value })),
    [],
  );
  return (
    <>
      <ParamFields fields={fields} values={values} errors={errors} onValue={onValue} />
      <output data-testid="params">{JSON.stringify(collect(fields, values).params)}</output>
    </>
  );
}

const sent = () => JSON.parse(screen.getByTestId("params").textContent ?? "{}") as unknown;

describe("ParamFields", () => {
  it("renders each kind as its own labelled control", () => {
    render(<Harness />);
    const pages = screen.getByRole("spinbutton", { name: /pages/ });
    expect(pages).toHaveAttribute("min", "1");
    expect(pages).toHaveAttribute("max", "50");
    expect(pages).toHaveAccessibleDescription("from 1 to 50 · Per category");
    expect(screen.getByRole("checkbox", { name: "fast" })).not.toBeChecked();
    expect(screen.getByRole("textbox", { name: /tags/ })).toHaveValue("a");
    const headers = screen.getByRole("textbox", { name: /headers/ });
    expect(headers.tagName).toBe("TEXTAREA");
    expect(headers).toHaveValue("{}");
    // A nullable object starts switched off (its default is null) and hides its fields.
    const limit = screen.getByRole("group", { name: "limit" });
    expect(within(limit).getByRole("checkbox")).not.toBeChecked();
    expect(within(limit).queryByRole("textbox")).toBeNull();
    expect(sent()).toEqual({ pages: 5, fast: false, tags: ["a"], headers: {}, limit: null });
  });

  it("turns what is typed into params", async () => {
    const user = userEvent.setup();
    render(<Harness />);
    await user.click(screen.getByRole("checkbox", { name: "fast" }));
    const tags = screen.getByRole("textbox", { name: /tags/ });
    await user.clear(tags);
    await user.type(tags, "x, y");
    await user.click(within(screen.getByRole("group", { name: "limit" })).getByRole("checkbox"));
    await user.type(screen.getByRole("textbox", { name: /start/ }), "s");
    expect(sent()).toEqual({
      pages: 5,
      fast: true,
      tags: ["x", "y"],
      headers: {},
      limit: { start: "s" },
    });
  });

  it("marks a field's error and links it", () => {
    render(<Harness errors={{ "params.tags": "params.tags[0]: Expected `str`" }} />);
    const tags = screen.getByRole("textbox", { name: /tags/ });
    expect(tags).toHaveAttribute("aria-invalid", "true");
    expect(tags).toHaveAccessibleDescription("params.tags[0]: Expected `str`");
    expect(screen.getByRole("spinbutton", { name: /pages/ })).not.toHaveAttribute("aria-invalid");
  });
});
