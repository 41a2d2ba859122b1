import { QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { makeQueryClient } from "../lib/queryClient";
import type { WorkerPresence } from "../lib/types";
import { WorkerProcessesPanel } from "./WorkerProcessesPanel";

function json(body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status: 200,
    headers: { "Content-Type": "application/json" },
  });
}

function worker(name: string, busy: number, runs: string[]): WorkerPresence {
  return {
    name,
    host: "h1",
    pid: 42,
    slots: 4,
    busy,
    runs,
    tasks_done: 120,
    taken_over: 3,
    started_at: "2026-12-04T10:00:00.000Z",
    seen_at: new Date().toISOString(),
    blocks: [],
  };
}

function show(body: unknown) {
  vi.stubGlobal(
    "fetch",
    vi.fn(() => Promise.resolve(json(body))),
  );
  return render(
    <QueryClientProvider client={makeQueryClient()}>
      <WorkerProcessesPanel />
    </QueryClientProvider>,
  );
}

afterEach(() => vi.unstubAllGlobals());

describe("WorkerProcessesPanel", () => {
  it("lists each worker with its busy slots and sums them in the title", async () => {
    show({
      work_queue: "redis",
      lease_s: 10,
      workers: [worker("w0", 3, ["r1"]), worker("w1", 0, [])],
    });
    await waitFor(() => expect(screen.getAllByTestId("worker-process")).toHaveLength(2));
    expect(screen.getByText("Worker processes · 3/8 slots busy")).toBeTruthy();
    const busy = screen.getAllByTestId("worker-busy").map((cell) => cell.textContent);
    expect(busy).toEqual(["3/4", "0/4"]);
    expect(screen.getByText("1 run")).toBeTruthy();
    expect(screen.getByText("idle")).toBeTruthy();
  });

  it("says that runs wait when no worker is there", async () => {
    show({ work_queue: "redis", lease_s: 10, workers: [] });
    await waitFor(() => expect(screen.getByText(/No worker is there/)).toBeTruthy());
  });

  it("shows nothing when the servers run the tasks themselves", async () => {
    const { container } = show({ work_queue: "local", lease_s: 10, workers: [] });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(container.querySelector("[data-testid=worker-processes]")).toBeNull();
  });
});
