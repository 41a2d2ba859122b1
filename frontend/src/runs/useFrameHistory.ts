/**
 * Chart series built from successive state frames: each point is a server aggregate
 * (throughput, cumulative errors by type, per-site latency percentiles) at the frame's own
 * time (started_at + duration_s). Plotting aggregates over time is not counting events:
 * the values are the server's. At most one point a second is kept; when a long run
 * reaches `MAX_POINTS`, every other point is dropped and the step doubles, so the charts
 * always span the whole run with bounded memory.
 */
import { useRef } from "react";

import { parseTs } from "../lib/format";
import type { RunFrame } from "../lib/types";

export const MAX_POINTS = 900;
const MIN_STEP_MS = 1000;

export interface FramePoint {
  t: number;
  requestsPerS: number;
  itemsPerS: number;
  /** errors per second by type over the step before this point (from cumulative totals) */
  errorRate: Record<string, number>;
  errorsTotal: Record<string, number>;
  latency: Record<string, { p50: number; p95: number }>;
}

export interface FrameHistory {
  runId: string | null;
  points: FramePoint[];
  version: number;
  /** Minimum time between points; doubles each time the history is thinned. */
  stepMs?: number;
}

function frameTime(frame: RunFrame): number {
  const start = parseTs(frame.started_at);
  if (!Number.isNaN(start) && frame.duration_s !== null && frame.duration_s !== undefined) return start + frame.duration_s * 1000;
  return Date.now();
}

/** Append `frame` to `history` (in place); returns true when a point was added. */
export function addFrame(history: FrameHistory, frame: RunFrame): boolean {
  if (history.runId !== frame.run_id) {
    history.runId = frame.run_id;
    history.points = [];
    history.stepMs = MIN_STEP_MS;
  }
  const t = frameTime(frame);
  const last = history.points[history.points.length - 1];
  if (last && t - last.t < (history.stepMs ?? MIN_STEP_MS)) return false;
  const errorsTotal = { ...(frame.totals?.errors_by_type ?? {}) };
  const errorRate: Record<string, number> = {};
  if (last) {
    const dt = (t - last.t) / 1000;
    for (const [type, count] of Object.entries(errorsTotal)) {
      errorRate[type] = Math.max(0, count - (last.errorsTotal[type] ?? 0)) / dt;
    }
  }
  const latency: FramePoint["latency"] = {};
  for (const site of frame.sites ?? []) latency[site.site] = { p50: site.p50_ms, p95: site.p95_ms };
  history.points.push({
    t,
    requestsPerS: frame.throughput?.requests_per_s ?? 0,
    itemsPerS: frame.throughput?.items_per_s ?? 0,
    errorRate,
    errorsTotal,
    latency,
  });
  if (history.points.length > MAX_POINTS) {
    // Thin out rather than cut: the first point (the run's start) always stays.
    history.points = history.points.filter((_, i) => i % 2 === 0);
    history.stepMs = (history.stepMs ?? MIN_STEP_MS) * 2;
  }
  history.version += 1;
  return true;
}

/** The history of the frames this component has seen for the run. */
export function useFrameHistory(frame: RunFrame | undefined): FrameHistory {
  const ref = useRef<FrameHistory>({ runId: null, points: [], version: 0 });
  const lastFrame = useRef<RunFrame | undefined>(undefined);
  if (frame && frame !== lastFrame.current) {
    lastFrame.current = frame;
    addFrame(ref.current, frame);
  }
  return ref.current;
}
