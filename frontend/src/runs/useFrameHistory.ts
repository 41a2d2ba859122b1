/**
 * Chart series built from successive state frames: each point is a server aggregate
 * (throughput, cumulative errors by type, per-site latency percentiles) at the frame's own
 * time (started_at + duration_s). Plotting aggregates over time is not counting events:
 * the values are the server's. At most one point a second is kept; when a long run
 * reaches `MAX_POINTS`, every other point is dropped and the step doubles, so the charts
 * always span the whole run with bounded memory.
 *
 * The history before the page opened comes from the server's series of the run
 * (`seedHistory`): its buckets go in front of the first live point, so the charts show the
 * whole run and then continue live.
 */
import { useRef } from "react";

import { parseTs } from "../lib/format";
import { TERMINAL_STATUSES, type RunFrame, type RunSeries } from "../lib/types";

export const MAX_POINTS = 900;
const MIN_STEP_MS = 1000;

/**
 * The latency key of seeded points. The server's series has one p50/p95 per bucket over
 * every request of the run, while frames carry them per site; `RunCharts` draws this key
 * as the single site's line when the run has one site, else as its own "all sites" line.
 */
export const ALL_SITES = "all sites";

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
  /** The server's history of this run has been put in front (once per run). */
  seeded?: boolean;
}

function frameTime(frame: RunFrame): number {
  const start = parseTs(frame.started_at);
  if (!Number.isNaN(start) && frame.duration_s !== null && frame.duration_s !== undefined)
    return start + frame.duration_s * 1000;
  return Date.now();
}

/** Append `frame` to `history` (in place); returns true when a point was added. */
export function addFrame(history: FrameHistory, frame: RunFrame): boolean {
  startRun(history, frame.run_id);
  // The stored final frame of a run this page did not watch: its rates are the sliding
  // window's after the end (zero), which drawn alone or after the server's series would
  // look like a collapse at the end. The series covers the run; watched runs keep it.
  if (history.points.length === 0 && TERMINAL_STATUSES.has(frame.status)) return false;
  const t = frameTime(frame);
  const last = history.points[history.points.length - 1];
  if (last && t - last.t < (history.stepMs ?? MIN_STEP_MS)) return false;
  const errorsTotal = { ...(frame.totals?.errors_by_type ?? {}) };
  const errorRate = last ? ratesBetween(last, t, errorsTotal) : {};
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
  thin(history);
  history.version += 1;
  return true;
}

function startRun(history: FrameHistory, runId: string): void {
  if (history.runId === runId) return;
  history.runId = runId;
  history.points = [];
  history.stepMs = MIN_STEP_MS;
  history.seeded = false;
}

/** Errors per second by type from the point `last` to time `t` with cumulative `totals`. */
function ratesBetween(
  last: FramePoint,
  t: number,
  totals: Record<string, number>,
): Record<string, number> {
  const rates: Record<string, number> = {};
  const dt = (t - last.t) / 1000;
  if (dt <= 0) return rates;
  for (const [type, count] of Object.entries(totals)) {
    rates[type] = Math.max(0, count - (last.errorsTotal[type] ?? 0)) / dt;
  }
  return rates;
}

function thin(history: FrameHistory): void {
  while (history.points.length > MAX_POINTS) {
    // Thin out rather than cut: the first point (the run's start) always stays.
    history.points = history.points.filter((_, i) => i % 2 === 0);
    history.stepMs = (history.stepMs ?? MIN_STEP_MS) * 2;
  }
}

/**
 * Chart points of the server's series. A bucket's rates are plotted at its start, as the
 * server reports them; `errorsTotal` is the count of errors before the bucket (the sum of
 * the earlier, whole buckets), so the first live frame's error rate is taken over the time
 * since the last bucket began, like one frame's over the time since the previous frame.
 */
export function seriesPoints(series: RunSeries): FramePoint[] {
  const out: FramePoint[] = [];
  const before: Record<string, number> = {};
  for (const p of series.points) {
    const t = parseTs(p.t);
    if (Number.isNaN(t)) continue;
    const errorsTotal = { ...before };
    for (const [type, rate] of Object.entries(p.errors_per_s)) {
      before[type] = (before[type] ?? 0) + Math.round(rate * series.bucket_s);
    }
    const latency: FramePoint["latency"] = {};
    if (p.p50_ms != null && p.p95_ms != null) latency[ALL_SITES] = { p50: p.p50_ms, p95: p.p95_ms };
    out.push({
      t,
      requestsPerS: p.requests_per_s,
      itemsPerS: p.items_per_s,
      errorRate: { ...p.errors_per_s },
      errorsTotal,
      latency,
    });
  }
  return out;
}

/**
 * Put the server's history of the run in front of the live points (in place), once per
 * run: only buckets that began before the first live point, so nothing is drawn twice.
 * Returns true when points were added.
 */
export function seedHistory(history: FrameHistory, series: RunSeries): boolean {
  startRun(history, series.run_id);
  if (history.seeded) return false;
  history.seeded = true;
  const live = history.points;
  const firstLive = live[0];
  const seeded = seriesPoints(series).filter((p) => firstLive === undefined || p.t < firstLive.t);
  const lastSeeded = seeded[seeded.length - 1];
  if (lastSeeded === undefined) return false;
  // The first live point had no earlier point to take an error rate from; now it has.
  if (firstLive) firstLive.errorRate = ratesBetween(lastSeeded, firstLive.t, firstLive.errorsTotal);
  history.points = [...seeded, ...live];
  thin(history);
  history.version += 1;
  return true;
}

/** The run's history: the server's series (once it arrives), then the frames seen here. */
export function useFrameHistory(frame: RunFrame | undefined, series?: RunSeries): FrameHistory {
  // The history is an accumulator kept in refs and fed during render, each input once
  // (checked by identity, so a repeated or discarded render adds nothing twice). Feeding
  // it from an effect would draw every frame one render late, and render the page twice
  // per frame; `version` tells `RunCharts` when to redraw.
  /* eslint-disable react-hooks/refs */
  const ref = useRef<FrameHistory>({ runId: null, points: [], version: 0 });
  const lastFrame = useRef<RunFrame | undefined>(undefined);
  const lastSeries = useRef<RunSeries | undefined>(undefined);
  if (frame && frame !== lastFrame.current) {
    lastFrame.current = frame;
    addFrame(ref.current, frame);
  }
  // Only the current run's series: a response for a run the page showed before is ignored.
  if (series && series !== lastSeries.current && (!frame || series.run_id === frame.run_id)) {
    lastSeries.current = series;
    seedHistory(ref.current, series);
  }
  return ref.current;
  /* eslint-enable react-hooks/refs */
}
