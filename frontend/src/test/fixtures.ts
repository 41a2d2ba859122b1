/** Builders for server shapes in tests (the defaults are what the server sends for a new run). */
import type { ActivityEvent, RunFrame, RunTotals, WorkerCard } from "../lib/types";

export function totals(partial: Partial<RunTotals> = {}): RunTotals {
  return {
    requests: 0,
    successes: 0,
    failures: 0,
    failures_by_type: {},
    retries: 0,
    errors: 0,
    errors_by_type: {},
    errors_by_stage: {},
    items_found: 0,
    new_items: 0,
    updated_items: 0,
    duplicates: 0,
    tasks_done: 0,
    tasks_failed: 0,
    tasks_requeued: 0,
    events: 0,
    ...partial,
  };
}

export function frame(partial: Partial<RunFrame> = {}): RunFrame {
  return {
    run_id: "run1",
    collection: "demo",
    status: "running",
    phase: "catalog",
    params: {},
    started_at: "2026-11-22T09:00:00.000Z",
    ended_at: null,
    duration_s: 10,
    paused_reason: null,
    auto_paused: false,
    error: null,
    finish_reason: null,
    totals: totals(),
    progress: [],
    throughput: { requests_per_s: 0, items_per_s: 0, items_per_min: 0, window_s: 60 },
    eta_s: null,
    dataset: null,
    dataset_size: null,
    last_seq: 0,
    workers: [],
    sites: [],
    errors: [],
    quality: null,
    crawler_stats: null,
    ...partial,
  };
}

export function card(partial: Partial<WorkerCard> & { worker_id: number }): WorkerCard {
  return { state: "idle", ...partial };
}

let n = 0;
export function event(partial: Partial<ActivityEvent> = {}): ActivityEvent {
  n += 1;
  return {
    run_id: "run1",
    action: "fetching",
    worker_id: 1,
    id: `ev-${n}`,
    ts: "2026-11-22T09:00:01.000Z",
    ...partial,
  };
}
