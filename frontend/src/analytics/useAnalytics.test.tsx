import { QueryClientProvider } from "@tanstack/react-query";
import { renderHook, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { makeQueryClient } from "../lib/queryClient";
import { useAnalyticsHeatmap, useAnalyticsSummary, useRunComparison } from "./useAnalytics";

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

function wrapper({ children }: { children: ReactNode }) {
  return <QueryClientProvider client={makeQueryClient()}>{children}</QueryClientProvider>;
}

afterEach(() => vi.unstubAllGlobals());

describe("analytics hooks", () => {
  it("ask the endpoint with the range and collection", async () => {
    const fetchMock = vi.fn((_url: string) => Promise.resolve(json(200, { runs: 3 })));
    vi.stubGlobal("fetch", fetchMock);
    const { result } = renderHook(() => useAnalyticsSummary({ days: 7, collection: "demo" }), {
      wrapper,
    });
    await waitFor(() => expect(result.current.data).toEqual({ runs: 3 }));
    expect(String(fetchMock.mock.calls[0]?.[0])).toBe(
      "/api/analytics/summary?days=7&collection=demo",
    );
  });

  it("ask for the heatmap in the browser's time zone", async () => {
    const fetchMock = vi.fn((_url: string) => Promise.resolve(json(200, { cells: [] })));
    vi.stubGlobal("fetch", fetchMock);
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const { result } = renderHook(() => useAnalyticsHeatmap({ days: 7 }), { wrapper });
    await waitFor(() => expect(result.current.data).toEqual({ cells: [] }));
    expect(String(fetchMock.mock.calls[0]?.[0])).toBe(
      `/api/analytics/heatmap?days=7&tz=${encodeURIComponent(zone)}`,
    );
    const tokyo = renderHook(() => useAnalyticsHeatmap({ days: 7 }, "Asia/Tokyo"), { wrapper });
    await waitFor(() => expect(tokyo.result.current.data).toEqual({ cells: [] }));
    expect(String(fetchMock.mock.calls[1]?.[0])).toBe(
      "/api/analytics/heatmap?days=7&tz=Asia%2FTokyo",
    );
  });

  it("compare nothing until two different runs are picked", async () => {
    const fetchMock = vi.fn(() => Promise.resolve(json(200, {})));
    vi.stubGlobal("fetch", fetchMock);
    const { result } = renderHook(() => useRunComparison("r1", "r1"), { wrapper });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(result.current.fetchStatus).toBe("idle");
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("surface the server's error naming the field", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(() =>
        Promise.resolve(
          json(400, { error: { code: "bad_request", message: "bad", field: "days" } }),
        ),
      ),
    );
    const { result } = renderHook(() => useRunComparison("a", "b"), { wrapper });
    await waitFor(() => expect(result.current.error).toBeTruthy());
    expect((result.current.error as { field?: string }).field).toBe("days");
  });
});
