import { QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";

import { ME_KEY } from "../auth/useAuth";
import { makeQueryClient } from "../lib/queryClient";
import { AlertsNavBadge } from "./AlertsNavBadge";
import { AlertsPage } from "./AlertsPage";
import { RuleEditor } from "./RuleEditor";

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

const FIRING = {
  id: "a1",
  rule: "demo going",
  fingerprint: "f1",
  state: "firing",
  severity: "critical",
  labels: { rule: "demo going", severity: "critical", collection: "demo", run_id: "run-abc" },
  summary: "run run-abc made 12 requests",
  value: 12,
  pending_since: "2026-11-22T09:00:00.000Z",
  fired_at: "2026-11-22T09:00:01.000Z",
  resolved_at: null,
  updated_at: null,
  silenced_by: "s1",
  inhibited_by: null,
  run_id: "run-abc",
  extra: {},
};

const RULES = {
  rules: [
    {
      rule: {
        name: "demo going",
        condition: "run.requests >= 5",
        severity: "critical",
        source: "rules.yaml:7",
      },
      evaluated_at: "2026-11-22T09:00:02.000Z",
      subjects: 1,
      holding: 1,
      value: 12,
      error: null,
      firing: 1,
      pending: 0,
    },
    {
      rule: { name: "mine", condition: "run.errors > 3" },
      evaluated_at: null,
      subjects: 0,
      holding: 0,
      value: null,
      error: "no such overload",
      firing: 0,
      pending: 0,
    },
  ],
  file_error: "rules.yaml:3: unknown variable run.eror",
};

type Handler = (init?: RequestInit) => Response;

/** A server: `role` for /api/auth/me, plus per-path overrides. */
function stubServer(role: string, overrides: Record<string, Handler> = {}, sent: unknown[] = []) {
  const routes: Record<string, Handler> = {
    "/api/auth/me": () =>
      json(200, { authenticated: true, name: "someone", role, auth_required: true }),
    "/api/alerts": () => json(200, { alerts: [FIRING], counts: { firing: 1, pending: 0 } }),
    "/api/alerts/counts": () => json(200, { firing: 3, pending: 1 }),
    "/api/alerts/rules": () => json(200, RULES),
    "/api/alerts/timeline": () => json(200, { entries: [] }),
    "/api/alerts/silences": () =>
      json(200, {
        silences: [
          {
            id: "s1",
            matchers: [{ label: "collection", op: "=", value: "demo" }],
            starts_at: "2026-11-22T09:00:00.000Z",
            ends_at: "2999-01-01T00:00:00.000Z",
            created_by: "someone",
            comment: "looking into it",
            expired_at: null,
          },
        ],
      }),
    "/api/alerts/channels": () =>
      json(200, {
        channels: [{ name: "hook", url: "json://127.0.0.1:9/hook", send_resolved: true }],
        default_channels: ["hook"],
      }),
    "/api/alerts/deliveries": () => json(200, { deliveries: [] }),
    "/api/alerts/variables": () =>
      json(200, { variables: [{ name: "run.requests", type: "int", doc: "requests so far" }] }),
    ...overrides,
  };
  vi.stubGlobal(
    "fetch",
    vi.fn((url: string, init?: RequestInit) => {
      const path = url.split("?")[0] ?? url;
      if (init?.body)
        sent.push({ path, method: init.method, body: JSON.parse(init.body as string) as unknown });
      const handler = routes[`${init?.method ?? "GET"} ${path}`] ?? routes[path];
      return Promise.resolve(
        handler ? handler(init) : json(404, { error: { code: "not_found", message: path } }),
      );
    }),
  );
}

function renderWith(ui: React.ReactNode, role?: string) {
  const client = makeQueryClient();
  // Who is looking, known from the start (so "no button" cannot pass before it is known).
  if (role)
    client.setQueryData(ME_KEY, { authenticated: true, name: "v", role, auth_required: true });
  return render(
    <QueryClientProvider client={client}>
      <MemoryRouter>{ui}</MemoryRouter>
    </QueryClientProvider>,
  );
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("AlertsPage", () => {
  it("shows the firing alert with its marks and link, the rules with value, source and errors", async () => {
    stubServer("operator");
    renderWith(<AlertsPage />);
    const row = await within(await screen.findByTestId("open-alert-table")).findByTestId(
      "alert-row",
    );
    expect(row).toHaveAttribute("data-state", "firing");
    expect(within(row).getByTestId("alert-severity")).toHaveTextContent("critical");
    expect(within(row).getByTestId("alert-summary")).toHaveTextContent(
      "run run-abc made 12 requests",
    );
    expect(within(row).getByTestId("alert-silenced")).toHaveTextContent("silenced by s1");
    expect(within(row).getByTestId("alert-labels")).toHaveTextContent("collection=demo");
    expect(within(row).getByTestId("alert-labels")).not.toHaveTextContent("severity=");
    expect(within(row).getByTestId("alert-run-link")).toHaveAttribute("href", "/runs/run-abc");
    expect(within(row).getByTestId("alert-value")).toHaveTextContent("12");

    const rules = await screen.findAllByTestId("rule-row");
    expect(rules.map((r) => r.getAttribute("data-rule"))).toEqual(["demo going", "mine"]);
    const [fileRule, apiRule] = rules;
    expect(within(fileRule!).getByTestId("rule-source")).toHaveTextContent("rules.yaml:7");
    expect(within(fileRule!).getByTestId("rule-value")).toHaveTextContent("12");
    expect(within(fileRule!).getByText("read-only")).toBeInTheDocument();
    expect(within(fileRule!).queryByTestId("rule-edit")).toBeNull();
    expect(within(apiRule!).getByTestId("rule-eval-error")).toHaveTextContent("no such overload");
    expect(within(apiRule!).getByTestId("rule-edit")).toBeInTheDocument();
    expect(screen.getByTestId("rule-file-error")).toHaveTextContent("unknown variable run.eror");
    expect(screen.getByTestId("rule-new")).toBeInTheDocument();
    expect(await screen.findByTestId("silence-end")).toBeInTheDocument();
    expect(await screen.findByTestId("channel-test")).toBeInTheDocument();
  });

  it("is read-only for a viewer", async () => {
    stubServer("viewer");
    renderWith(<AlertsPage />, "viewer");
    await screen.findAllByTestId("rule-row");
    await screen.findByTestId("silence-row");
    await screen.findByTestId("channel-row");
    expect(screen.queryByTestId("rule-new")).toBeNull();
    expect(screen.queryByTestId("rule-edit")).toBeNull();
    expect(screen.queryByTestId("rule-delete")).toBeNull();
    expect(screen.queryByTestId("silence-new")).toBeNull();
    expect(screen.queryByTestId("silence-end")).toBeNull();
    expect(screen.queryByTestId("channel-test")).toBeNull();
    // the history of an API rule is for everyone
    expect(screen.getByTestId("rule-history-toggle")).toBeInTheDocument();
  });

  it("adds a silence from matcher lines and shows the test send's 502", async () => {
    const sent: unknown[] = [];
    stubServer(
      "operator",
      {
        "POST /api/alerts/silences": () =>
          json(201, {
            id: "s2",
            matchers: [],
            starts_at: "2026-11-22T09:00:00.000Z",
            ends_at: "2026-11-22T11:00:00.000Z",
            created_by: "someone",
            comment: "",
            expired_at: null,
          }),
        "POST /api/alerts/test": () =>
          json(502, {
            error: {
              code: "bad_gateway",
              message: "the test notification was not delivered: connection refused",
              field: "channel",
            },
          }),
      },
      sent,
    );
    const user = userEvent.setup();
    renderWith(<AlertsPage />);
    await user.click(await screen.findByTestId("silence-new"));
    await user.type(screen.getByTestId("silence-matchers"), "collection=demo\n\nrule=~demo.*");
    await user.clear(screen.getByTestId("silence-duration"));
    await user.type(screen.getByTestId("silence-duration"), "2h");
    await user.type(screen.getByTestId("silence-comment"), "deploy");
    await user.click(screen.getByTestId("silence-submit"));
    // the form closes once the silence is added
    await vi.waitFor(() => expect(screen.queryByTestId("silence-form")).toBeNull());
    expect(sent).toContainEqual({
      path: "/api/alerts/silences",
      method: "POST",
      body: { matchers: ["collection=demo", "rule=~demo.*"], duration: "2h", comment: "deploy" },
    });

    await user.click(await screen.findByTestId("channel-test"));
    expect(await screen.findByTestId("channel-test-error")).toHaveTextContent(
      "not delivered: connection refused",
    );
  });
});

describe("a server with alerting switched off", () => {
  it("says so instead of showing empty tables", async () => {
    const off = () =>
      json(503, {
        error: {
          code: "service_unavailable",
          message: "alerting is switched off on this server (alerts_enabled)",
        },
      });
    stubServer("operator", { "/api/alerts": off });
    renderWith(<AlertsPage />, "operator");
    expect(await screen.findByTestId("alerts-disabled", {}, { timeout: 5000 })).toHaveTextContent(
      "switched off",
    );
    expect(screen.queryByTestId("alert-rules")).toBeNull();
  });
});

describe("RuleEditor", () => {
  it("sends the rule and shows the server's 400 next to the field it names", async () => {
    const sent: unknown[] = [];
    stubServer(
      "operator",
      {
        "PUT /api/alerts/rules/shop-errors": () =>
          json(400, {
            error: {
              code: "bad_request",
              message: "unknown variable run.eror_ratio_5m",
              field: "condition",
            },
          }),
      },
      sent,
    );
    const user = userEvent.setup();
    renderWith(<RuleEditor onDone={() => undefined} />);
    await user.type(screen.getByTestId("rule-name"), "shop-errors");
    // picking a variable from the list inserts it into the condition
    await user.click(await screen.findByText("run.requests"));
    expect(screen.getByTestId("rule-condition")).toHaveValue("run.requests");
    await user.clear(screen.getByTestId("rule-condition"));
    await user.type(screen.getByTestId("rule-condition"), "run.eror_ratio_5m > 0.2");
    await user.selectOptions(screen.getByTestId("rule-severity"), "critical");
    await user.click(screen.getByTestId("rule-submit"));

    const error = await screen.findByTestId("rule-error-condition");
    expect(error).toHaveTextContent("unknown variable run.eror_ratio_5m");
    const field = screen.getByTestId("rule-condition").closest("label");
    expect(field).toContainElement(error);
    expect(field).toHaveAttribute("data-invalid", "true");
    expect(sent).toEqual([
      {
        path: "/api/alerts/rules/shop-errors",
        method: "PUT",
        body: {
          name: "shop-errors",
          condition: "run.eror_ratio_5m > 0.2",
          for: "0s",
          severity: "critical",
          scope: {},
          labels: {},
          summary: "",
          channels: [],
          actions: [],
          enabled: true,
        },
      },
    ]);
  });
});

describe("AlertsNavBadge", () => {
  it("shows the firing count once signed in", async () => {
    stubServer("viewer");
    renderWith(<AlertsNavBadge />);
    expect(await screen.findByTestId("nav-alerts-count")).toHaveTextContent("3");
  });
});
