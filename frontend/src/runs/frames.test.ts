import { describe, expect, it } from "vitest";

import { frame, totals } from "../test/fixtures";
import { newerFrame } from "./frames";
import { addFrame, MAX_POINTS, type FrameHistory } from "./useFrameHistory";

describe("chart points from successive state frames", () => {
  it("keeps at most one point a second and at most MAX_POINTS spanning the whole run", () => {
    const history: FrameHistory = { runId: null, points: [], version: 0 };
    const seconds = MAX_POINTS * 5;
    for (let i = 0; i <= seconds * 4; i++) {
      // four frames a second
      addFrame(
        history,
        frame({
          duration_s: i / 4,
          throughput: { requests_per_s: i, items_per_s: 0, items_per_min: 0, window_s: 60 },
        }),
      );
    }
    expect(history.points.length).toBeLessThanOrEqual(MAX_POINTS);
    expect(history.points.length).toBeGreaterThan(MAX_POINTS / 4);
    const ts = history.points.map((p) => p.t);
    expect(ts.every((t, i) => i === 0 || t - (ts[i - 1] as number) >= 1000)).toBe(true);
    const start = Date.parse("2026-11-22T09:00:00.000Z");
    expect(ts[0]).toBe(start); // the run's start stays
    expect((ts.at(-1) as number) - start).toBeGreaterThan((seconds - 20) * 1000); // and so does its recent end
  });

  it("plots the server's values: throughput as sent, error rate from cumulative totals", () => {
    const history: FrameHistory = { runId: null, points: [], version: 0 };
    addFrame(
      history,
      frame({ duration_s: 10, totals: totals({ errors_by_type: { timeout: 4 } }) }),
    );
    addFrame(
      history,
      frame({
        duration_s: 12,
        totals: totals({ errors_by_type: { timeout: 10, http_5xx: 2 } }),
        throughput: { requests_per_s: 33.5, items_per_s: 2, items_per_min: 120, window_s: 60 },
        sites: [
          {
            site: "a",
            requests: 1,
            successes: 1,
            failures: 0,
            errors_by_type: {},
            avg_ms: 1,
            p50_ms: 80,
            p95_ms: 250,
            breaker: "closed",
            breaker_since: null,
            last_success_at: null,
          },
        ],
      }),
    );
    const last = history.points[1];
    expect(last?.requestsPerS).toBe(33.5);
    expect(last?.errorRate).toEqual({ timeout: 3, http_5xx: 1 });
    expect(last?.latency).toEqual({ a: { p50: 80, p95: 250 } });
  });

  it("starts over for another run", () => {
    const history: FrameHistory = { runId: null, points: [], version: 0 };
    addFrame(history, frame({ run_id: "a", duration_s: 1 }));
    addFrame(history, frame({ run_id: "b", duration_s: 1 }));
    expect(history.points).toHaveLength(1);
    expect(history.runId).toBe("b");
  });
});

describe("newerFrame", () => {
  it("prefers the frame with the higher last_seq", () => {
    const rest = {
      ...frame({ last_seq: 10, status: "running" }),
      live: true,
      origin: "local",
      created_at: "2026-11-22T08:59:59.000Z",
      events_pruned_at: null,
    };
    const live = frame({ last_seq: 12, status: "paused" });
    expect(newerFrame(live, rest)?.status).toBe("paused");
    expect(newerFrame(live, rest)?.origin).toBe("local");
    expect(newerFrame(frame({ last_seq: 8 }), rest)?.last_seq).toBe(10);
    expect(newerFrame(undefined, rest)).toBe(rest);
  });

  it("shows a stored final state over a stale live one", () => {
    const rest = {
      ...frame({ last_seq: 20, status: "completed" }),
      live: false,
      origin: "local",
      created_at: null,
      events_pruned_at: null,
    };
    expect(newerFrame(frame({ last_seq: 20, status: "running" }), rest)?.status).toBe("completed");
  });
});
