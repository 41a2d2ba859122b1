import { QueryClientProvider } from "@tanstack/react-query";
import { renderHook, waitFor } from "@testing-library/react";
import { createElement, type ReactNode } from "react";
import { describe, expect, it, onTestFinished, vi } from "vitest";

import { makeQueryClient } from "../lib/queryClient";
import type { RunSeries, SeriesPoint } from "../lib/types";
import { frame, totals } from "../test/fixtures";
import { latencyLines } from "./latencyLines";
import {
  addFrame,
  ALL_SITES,
  MAX_POINTS,
  seedHistory,
  seriesPoints,
  useFrameHistory,
  type FrameHistory,
} from "./useFrameHistory";
import { SERIES_POINTS, useRunSeries } from "./useRunSeries";

const START = Date.parse("2026-11-22T09:00:00.000Z");

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function series(
  n: number,
  bucketS: number,
  each: (i: number) => Partial<SeriesPoint> = () => ({}),
  runId = "run1",
): RunSeries {
  return {
    run_id: runId,
    bucket_s: bucketS,
    points: Array.from({ length: n }, (_, i) => ({
      t: iso(START + i * bucketS * 1000),
      requests_per_s: i,
      items_per_s: i / 2,
      errors_per_s: {},
      ...each(i),
    })),
  };
}

function empty(): FrameHistory {
  return { runId: null, points: [], version: 0 };
}

describe("seeding the chart history with the server's series", () => {
  it("turns buckets into points at their start, with errors counted before each bucket", () => {
    const s = series(4, 5, (i): Partial<SeriesPoint> => ({
      errors_per_s: i === 1 ? { timeout: 0.4 } : i === 2 ? { timeout: 0.2, http_5xx: 1 } : {},
      ...(i === 3 ? {} : { p50_ms: 100 + i, p95_ms: 900 + i }),
    }));
    const points = seriesPoints(s);
    expect(points.map((p) => p.t)).toEqual([0, 5, 10, 15].map((sec) => START + sec * 1000));
    expect(points.map((p) => p.requestsPerS)).toEqual([0, 1, 2, 3]);
    expect(points[2]?.errorRate).toEqual({ timeout: 0.2, http_5xx: 1 });
    // cumulative errors at each bucket's start: 2 timeouts in bucket 1, then 1 + 5 in bucket 2
    expect(points.map((p) => p.errorsTotal)).toEqual([
      {},
      {},
      { timeout: 2 },
      { timeout: 3, http_5xx: 5 },
    ]);
    expect(points[1]?.latency).toEqual({ [ALL_SITES]: { p50: 101, p95: 901 } });
    expect(points[3]?.latency).toEqual({}); // no request ended in that bucket
  });

  it("goes in front of the live points, only where there were none, and only once", () => {
    const history = empty();
    // the page opened 20 s into the run: live frames from then on
    addFrame(
      history,
      frame({ duration_s: 20, totals: totals({ errors_by_type: { timeout: 7 } }) }),
    );
    addFrame(
      history,
      frame({ duration_s: 21, totals: totals({ errors_by_type: { timeout: 8 } }) }),
    );
    const version = history.version;
    const s = series(5, 5, (i): Partial<SeriesPoint> => ({
      errors_per_s: i === 0 ? { timeout: 1 } : {},
    })); // buckets at 0..20 s
    expect(seedHistory(history, s)).toBe(true);
    expect(history.version).toBe(version + 1);
    const ts = history.points.map((p) => (p.t - START) / 1000);
    expect(ts).toEqual([0, 5, 10, 15, 20, 21]); // the bucket at 20 s is not drawn twice
    expect(history.points[3]?.errorsTotal).toEqual({ timeout: 5 });
    // the first live point now has a rate: 2 more timeouts in the 5 s since the last bucket began
    expect(history.points[4]?.errorRate).toEqual({ timeout: 2 / 5 });
    expect(history.points[5]?.errorRate).toEqual({ timeout: 1 });

    expect(seedHistory(history, s)).toBe(false); // the same run is seeded once
    expect(history.points).toHaveLength(6);
    addFrame(history, frame({ duration_s: 23 }));
    expect((history.points.at(-1)?.t ?? 0) - START).toBe(23_000); // live frames continue it
  });

  it("seeds an empty history, which live frames then extend", () => {
    const history = empty();
    seedHistory(history, series(3, 2));
    expect(history.runId).toBe("run1");
    expect(history.points).toHaveLength(3);
    expect(addFrame(history, frame({ duration_s: 10 }))).toBe(true);
    expect(history.points).toHaveLength(4);
  });

  it("draws a finished run from the series alone, without its stored final frame", () => {
    const history = empty();
    // a finished run's page: the stored final frame arrives first (rates 0 after the end)
    const final = frame({ status: "completed", duration_s: 12 }); // fixture rates are 0
    expect(addFrame(history, final)).toBe(false);
    expect(history.points).toHaveLength(0);
    expect(seedHistory(history, series(3, 4))).toBe(true);
    expect(history.points.map((p) => p.requestsPerS)).toEqual([0, 1, 2]);
    // a run watched live keeps its last frame when it ends
    expect(addFrame(history, { ...final, duration_s: 30 })).toBe(true);
    expect(history.points).toHaveLength(4);
  });

  it("stays within MAX_POINTS and keeps the run's start", () => {
    const history = empty();
    for (let i = 0; i < MAX_POINTS; i++) addFrame(history, frame({ duration_s: 3600 + i }));
    seedHistory(history, series(600, 6));
    expect(history.points.length).toBeLessThanOrEqual(MAX_POINTS);
    expect(history.points.length).toBeGreaterThan(MAX_POINTS / 2);
    expect(history.points[0]?.t).toBe(START);
    expect(history.stepMs).toBe(2000);
    const ts = history.points.map((p) => p.t);
    expect(ts.every((t, i) => i === 0 || t > (ts[i - 1] as number))).toBe(true);
  });

  it("starts over when the series is of another run", () => {
    const history = empty();
    addFrame(history, frame({ run_id: "a", duration_s: 50 }));
    seedHistory(history, series(3, 1, undefined, "b"));
    expect(history.runId).toBe("b");
    expect(history.points).toHaveLength(3);
    addFrame(history, frame({ run_id: "c", duration_s: 50 }));
    expect(history.seeded).toBe(false);
    expect(seedHistory(history, series(3, 1, undefined, "c"))).toBe(true);
  });
});

describe("useFrameHistory with a series", () => {
  it("seeds when the series arrives and ignores one of another run", () => {
    const live = frame({ duration_s: 30 });
    const { result, rerender } = renderHook(
      ({ s }: { s?: RunSeries }) => useFrameHistory(live, s),
      {
        initialProps: {},
      },
    );
    expect(result.current.points).toHaveLength(1);
    rerender({ s: series(3, 10, undefined, "other") });
    expect(result.current.points).toHaveLength(1);
    rerender({ s: series(3, 10) });
    expect(result.current.points.map((p) => (p.t - START) / 1000)).toEqual([0, 10, 20, 30]);
  });
});

describe("latency lines", () => {
  const seeded = seriesPoints(series(2, 10, () => ({ p50_ms: 80, p95_ms: 300 })));
  const liveA = { ...seeded[0]!, t: START + 30_000, latency: { a: { p50: 90, p95: 310 } } };

  it("continue the history as one line when the run has one site", () => {
    const lines = latencyLines([...seeded, liveA]);
    expect(lines).toHaveLength(1);
    expect([...seeded, liveA].map((p) => lines[0]?.pick(p)?.p50)).toEqual([80, 80, 90]);
  });

  it("draw the history as its own line next to several sites, with gaps", () => {
    const liveAB = { ...liveA, latency: { a: { p50: 90, p95: 310 }, b: { p50: 40, p95: 60 } } };
    const lines = latencyLines([...seeded, liveAB]);
    expect(lines.map((l) => l.label)).toEqual([ALL_SITES, "a", "b"]);
    expect(lines[0]?.pick(liveAB)).toBeUndefined();
    expect(lines[1]?.pick(seeded[0]!)).toBeUndefined();
  });
});

describe("useRunSeries", () => {
  it("asks for the series once, when the page opens", async () => {
    const body: RunSeries = series(2, 1);
    const fetchMock = vi.fn(() =>
      Promise.resolve(
        new Response(JSON.stringify(body), {
          status: 200,
          headers: { "Content-Type": "application/json" },
        }),
      ),
    );
    vi.stubGlobal("fetch", fetchMock);
    onTestFinished(() => {
      vi.unstubAllGlobals();
    });
    const client = makeQueryClient();
    const wrapper = ({ children }: { children: ReactNode }) =>
      createElement(QueryClientProvider, { client }, children);
    const { result, rerender } = renderHook(() => useRunSeries("run 1"), { wrapper });
    await waitFor(() => expect(result.current).toEqual(body));
    rerender();
    await client.refetchQueries({ type: "active", stale: true });
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(fetchMock.mock.calls[0]).toEqual([
      `/api/runs/run%201/series?points=${SERIES_POINTS}`,
      expect.anything(),
    ]);
  });
});
