import { QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes, useParams } from "react-router-dom";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { makeQueryClient } from "../lib/queryClient";
import type { CollectionInfo, Me } from "../lib/types";
import { NewRunButton } from "./NewRunButton";
import { NewRunPage } from "./NewRunPage";

const SHOP: CollectionInfo = {
  name: "shop",
  description: "Crawl the test shop.",
  phases: [
    { name: "listing", workers: 4 },
    { name: "detail", workers: 1 },
  ],
  defaults: { base_url: "http://127.0.0.1:9" },
  params_schema: {
    title: "ShopParams",
    type: "object",
    properties: {
      base_url: { type: "string" },
      max_pages: { anyOf: [{ type: "integer" }, { type: "null" }], default: null },
      mode: { enum: ["delta", "full"], default: "full" },
      window: { $ref: "#/$defs/Window" },
    },
    required: ["base_url", "window"],
    $defs: {
      Window: {
        type: "object",
        properties: { start: { type: "string" }, end: { type: "string" } },
        required: ["start", "end"],
      },
    },
  },
};
const NOTES: CollectionInfo = {
  name: "notes",
  description: "No declared parameters.",
  phases: [{ name: "main", workers: 2 }],
  defaults: {},
  params_schema: null,
};

const OPERATOR: Me = { authenticated: true, name: "ops", role: "operator", auth_required: true };
const VIEWER: Me = { authenticated: true, name: "eve", role: "viewer", auth_required: true };

interface Answer {
  status: number;
  body: unknown;
}
let me: Me = OPERATOR;
let startAnswer: Answer = { status: 201, body: {} };
let starts: unknown[] = [];

function json({ status, body }: Answer): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

beforeEach(() => {
  me = OPERATOR;
  starts = [];
  vi.stubGlobal(
    "fetch",
    vi.fn((url: string, init?: RequestInit) => {
      if (url === "/api/auth/me") return Promise.resolve(json({ status: 200, body: me }));
      if (url === "/api/collections") {
        return Promise.resolve(json({ status: 200, body: { collections: [NOTES, SHOP] } }));
      }
      if (url === "/api/runs" && init?.method === "POST") {
        starts.push(JSON.parse(init.body as string));
        return Promise.resolve(json(startAnswer));
      }
      return Promise.resolve(json({ status: 404, body: { error: { code: "not_found" } } }));
    }),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
});

function RunProbe() {
  return <div data-testid="run-page">{useParams().runId}</div>;
}

function renderAt(path: string) {
  render(
    <QueryClientProvider client={makeQueryClient()}>
      <MemoryRouter initialEntries={[path]}>
        <NewRunButton />
        <Routes>
          <Route path="/runs/new" element={<NewRunPage />} />
          <Route path="/runs/:runId" element={<RunProbe />} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

async function shopForm() {
  renderAt("/runs/new?collection=shop");
  await screen.findByTestId("params-fields");
  return userEvent.setup();
}

function input(key: string): HTMLElement {
  const field = screen.getByTestId(`field-${key}`);
  return within(field).getByRole(field.dataset.kind === "enum" ? "combobox" : "textbox");
}

describe("NewRunPage", () => {
  it("generates the chosen collection's form, pre-filled and labelled", async () => {
    await shopForm();
    expect(screen.getByLabelText("Collection")).toHaveValue("shop");
    expect(screen.getByTestId("collection-description")).toHaveTextContent(
      "Crawl the test shop.Phases: listing (4 workers), detail (1 worker)",
    );
    expect(screen.getByRole("textbox", { name: /base_url/ })).toHaveValue("http://127.0.0.1:9");
    expect(screen.getByRole("spinbutton", { name: /max_pages/ })).toHaveValue(null);
    expect(screen.getByRole("combobox", { name: /mode/ })).toHaveDisplayValue("full");
    expect(screen.getByRole("group", { name: /window/ })).toBeInTheDocument();
    expect(screen.getByRole("textbox", { name: /start/ })).toHaveAttribute("aria-required", "true");
  });

  it("shows a collection without a schema as one JSON field, and resets on a switch", async () => {
    const user = await shopForm();
    await user.type(input("params.window.start"), "2026");
    await user.selectOptions(screen.getByLabelText("Collection"), "notes");
    expect(screen.getByTestId("field-params")).toHaveAttribute("data-kind", "json");
    await user.selectOptions(screen.getByLabelText("Collection"), "shop");
    expect(input("params.window.start")).toHaveValue("");
  });

  it("puts the server's 400 next to the nested field it names, keeps the input, focuses it", async () => {
    const message = "params.window.end: window.end must be after window.start";
    startAnswer = {
      status: 400,
      body: { error: { code: "bad_request", message, field: "params.window.end" } },
    };
    const user = await shopForm();
    await user.type(input("params.window.start"), "2026-05-01");
    await user.type(input("params.window.end"), "2026-01-01");
    await user.type(screen.getByRole("spinbutton", { name: /Workers/ }), "3");
    await user.click(screen.getByTestId("new-run-submit"));

    const end = input("params.window.end");
    const error = await within(screen.getByTestId("field-params.window.end")).findByTestId(
      "field-error",
    );
    expect(error).toHaveTextContent(message);
    expect(end).toHaveAttribute("aria-invalid", "true");
    expect(end.getAttribute("aria-describedby")?.split(" ")).toContain(error.id);
    expect(end).toHaveFocus();
    expect(end).toHaveValue("2026-01-01");
    expect(input("params.window.start")).toHaveValue("2026-05-01");
    expect(screen.getAllByTestId("field-error")).toHaveLength(1);
    expect(starts).toEqual([
      {
        collection: "shop",
        params: {
          base_url: "http://127.0.0.1:9",
          max_pages: null,
          mode: "full",
          window: { start: "2026-05-01", end: "2026-01-01" },
        },
        workers: 3,
      },
    ]);

    // Typing there again clears the mark.
    await user.type(end, "2");
    expect(end).not.toHaveAttribute("aria-invalid");
    expect(screen.queryByTestId("field-error")).toBeNull();
  });

  it.each([
    ["workers", 422, "workers: Input should be less than or equal to 1000"],
    ["collection", 400, "no collection named 'shop' (registered: demo)"],
  ])("puts a %s error (%s) next to its input", async (field, status, message) => {
    startAnswer = { status, body: { error: { code: "invalid", message, field } } };
    const user = await shopForm();
    await user.type(input("params.window.start"), "a");
    await user.type(input("params.window.end"), "b");
    await user.click(screen.getByTestId("new-run-submit"));
    const box = screen.getByTestId(`field-${field}`);
    expect(await within(box).findByTestId("field-error")).toHaveTextContent(message);
    const control = within(box).getByRole(field === "workers" ? "spinbutton" : "combobox");
    expect(control).toHaveAttribute("aria-invalid", "true");
    expect(control).toHaveFocus();
  });

  it("shows an error without a known field above the button", async () => {
    const message = "params encode to 70,000 bytes; at most 65,536 are allowed";
    startAnswer = {
      status: 400,
      body: { error: { code: "bad_request", message, field: "params" } },
    };
    const user = await shopForm();
    await user.type(input("params.window.start"), "a");
    await user.type(input("params.window.end"), "b");
    await user.click(screen.getByTestId("new-run-submit"));
    const alert = await screen.findByTestId("new-run-error");
    expect(alert).toHaveTextContent(message);
    expect(alert).toHaveFocus();
  });

  it("checks what it can before asking: a required field left empty is not sent", async () => {
    const user = await shopForm();
    await user.type(input("params.window.end"), "b");
    await user.click(screen.getByTestId("new-run-submit"));
    const start = input("params.window.start");
    expect(start).toHaveFocus();
    expect(start).toHaveAttribute("aria-invalid", "true");
    expect(
      within(screen.getByTestId("field-params.window.start")).getByTestId("field-error"),
    ).toHaveTextContent("required");
    expect(starts).toEqual([]);
  });

  it("opens the new run's page on 201", async () => {
    startAnswer = { status: 201, body: { run_id: "r-42", status: "pending" } };
    const user = await shopForm();
    await user.type(input("params.window.start"), "a");
    await user.type(input("params.window.end"), "b");
    await user.click(screen.getByTestId("new-run-submit"));
    expect(await screen.findByTestId("run-page")).toHaveTextContent("r-42");
  });

  it("shows the button and the form to an operator only", async () => {
    renderAt("/runs/new");
    expect(await screen.findByTestId("new-run")).toHaveAttribute("href", "/runs/new");
  });

  it("hides the button from a viewer and tells them why there is no form", async () => {
    me = VIEWER;
    renderAt("/runs/new");
    expect(await screen.findByTestId("new-run-forbidden")).toHaveTextContent("viewer");
    expect(screen.queryByTestId("new-run")).toBeNull();
    expect(screen.queryByTestId("new-run-form")).toBeNull();
  });
});
