import { QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { makeQueryClient } from "../lib/queryClient";
import type { ServicesHealth } from "../lib/types";
import { ServicesPanel } from "./ServicesPanel";

const HEALTH: ServicesHealth = {
  database: {
    state: "up",
    since: "2026-12-04T16:40:00.000Z",
    last_error: "ConnectionRefusedError: [Errno 111] Connect call failed",
    last_error_at: "2026-12-04T16:39:30.000Z",
    checked_at: "2026-12-04T16:45:00.000Z",
    outages: 1,
    url: "postgresql+asyncpg://postgres@127.0.0.1:5432/crawlscope",
    backend: "postgresql",
    reachable: true,
  },
  redis: {
    state: "down",
    since: "2026-12-04T16:44:48.000Z",
    down_for_s: 12.3,
    last_error: "ConnectionError: Error 111 connecting to 127.0.0.1:6379",
    last_error_at: "2026-12-04T16:45:00.000Z",
    checked_at: "2026-12-04T16:45:00.000Z",
    outages: 1,
    url: "redis://127.0.0.1:6379/0",
    prefix: "crawlscope",
    reachable: false,
    waiting: 1234,
    not_shown: 0,
  },
  hub: { kind: "redis", subscribers: 2 },
  recorder: { backlog: 0, written: 10, failures: 0, rejected: 0, duplicates: 0 },
  storage: { ok: true },
  sites: [],
};

function serve(body: unknown): void {
  vi.stubGlobal(
    "fetch",
    vi.fn(() =>
      Promise.resolve(
        new Response(JSON.stringify(body), {
          status: 200,
          headers: { "Content-Type": "application/json" },
        }),
      ),
    ),
  );
}

function renderPanel() {
  return render(
    <QueryClientProvider client={makeQueryClient()}>
      <ServicesPanel />
    </QueryClientProvider>,
  );
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("ServicesPanel", () => {
  it("shows Redis down with its error and what waits, the database up after its outage", async () => {
    serve(HEALTH);
    renderPanel();
    const rows = await screen.findAllByTestId("service");
    expect(rows.map((r) => r.getAttribute("data-state"))).toEqual(["up", "down"]);
    const [database, redis] = rows;
    expect(within(redis!).getByTestId("service-state")).toHaveTextContent("down");
    expect(within(redis!).getByText("for 12s")).toBeInTheDocument();
    const outage = within(redis!).getByTestId("service-outage");
    expect(outage).toHaveTextContent("Error 111 connecting to 127.0.0.1:6379");
    expect(outage).toHaveTextContent("1,234 stored events wait to be shown live");
    expect(within(database!).getByTestId("service-state")).toHaveTextContent("up");
    expect(within(database!).queryByTestId("service-outage")).toBeNull();
    expect(within(database!).getByTestId("service-last-error")).toHaveTextContent("1 since start");
  });

  it("has no Redis row on a server without Redis", async () => {
    serve({ ...HEALTH, redis: undefined });
    renderPanel();
    const rows = await screen.findAllByTestId("service");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toHaveAttribute("data-service", "database (postgresql)");
  });
});
