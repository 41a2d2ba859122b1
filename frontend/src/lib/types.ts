/**
 * The JSON shapes the server sends, mirrored from Python (the single definition):
 *
 * - `RunFrame`, `WorkerCard`, `SiteCard`, `RunTotals`, `ProgressLevel`, `ErrorSummary`,
 *   `Throughput`: `src/crawlscope/aggregate/frames.py`
 * - `ActivityEvent`: `src/crawlscope/events.py` (fields documented in docs/events.md)
 * - response envelopes (`RunSummary`, lists, overview, auth): docs/api.md
 *
 * Optional fields are *left out* when empty (never `null`), hence `?:` rather than `| null`.
 * Python fields that default to `None` but are always present on some paths are typed
 * `?: T | null` so both shapes are accepted.
 */

export const WORKER_STATES = [
  "idle",
  "requesting",
  "processing",
  "rate_limited",
  "backing_off",
  "error",
  "paused",
  "complete",
] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

export const RUN_STATUSES = [
  "pending",
  "running",
  "paused",
  "completed",
  "failed",
  "cancelled",
  "interrupted",
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const TERMINAL_STATUSES: ReadonlySet<string> = new Set([
  "completed",
  "failed",
  "cancelled",
  "interrupted",
]);

export const WORKER_ACTIONS = ["fetching", "found", "error", "rate_limited", "retrying", "complete"] as const;
export const PIPELINE_ACTIONS = ["uploading", "deduped", "inserted", "updated"] as const;
export const SYSTEM_ACTIONS = [
  "run_started",
  "run_progress",
  "run_paused",
  "run_resumed",
  "run_cancelled",
  "run_completed",
  "run_failed",
  "phase_started",
  "phase_completed",
  "breaker_opened",
  "breaker_half_open",
  "breaker_closed",
] as const;
export type Action =
  | (typeof WORKER_ACTIONS)[number]
  | (typeof PIPELINE_ACTIONS)[number]
  | (typeof SYSTEM_ACTIONS)[number];

export const ERROR_TYPES = [
  "rate_limit",
  "timeout",
  "connection",
  "http_4xx",
  "http_5xx",
  "parse_error",
  "api_error",
  "cancelled",
] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];

export type Params = Record<string, unknown>;

/** crawlscope.events.ActivityEvent */
export interface ActivityEvent {
  run_id: string;
  action: Action;
  worker_id?: number; // omitted when 0 (system / pipeline)
  seq?: number;
  id?: string;
  ts?: string;
  phase?: string;
  task?: string;
  category?: string;
  item?: string;
  site?: string;
  url?: string;
  method?: string;
  status_code?: number;
  params?: Params;
  started_at?: string;
  duration_ms?: number;
  attempt?: number;
  error_type?: ErrorType;
  error_stage?: string;
  error_message?: string;
  items_count?: number;
  new_count?: number;
  source_worker_id?: number;
  operation_type?: string;
  extra?: Record<string, unknown>;
}

/** crawlscope.aggregate.frames.ErrorSummary */
export interface ErrorSummary {
  error_type: string;
  error_stage: string;
  count: number;
  last_message?: string | null;
  last_ts?: string | null;
  last_worker_id?: number | null;
}

/** crawlscope.aggregate.frames.WorkerCard (omit_defaults: zero counters may be absent) */
export interface WorkerCard {
  worker_id: number;
  state?: WorkerState;
  state_since?: string;
  phase?: string;
  task?: string;
  category?: string;
  item?: string;
  url?: string;
  site?: string;
  method?: string;
  params?: Params;
  attempt?: number;
  request_started_at?: string;
  last_status_code?: number;
  last_duration_ms?: number;
  last_error_type?: string;
  last_error_message?: string;
  requests?: number;
  successes?: number;
  failures?: number;
  retries?: number;
  success_rate?: number;
  avg_ms?: number;
  p95_ms?: number;
  items?: number;
  new_items?: number;
  errors?: number;
  errors_by_type?: Record<string, number>;
  errors_by_stage?: Record<string, number>;
  tasks_done?: number;
  tasks_failed?: number;
  categories_done?: number;
}

/** crawlscope.aggregate.frames.SiteCard */
export interface SiteCard {
  site: string;
  requests: number;
  successes: number;
  failures: number;
  errors_by_type: Record<string, number>;
  avg_ms: number;
  p50_ms: number;
  p95_ms: number;
  breaker: "closed" | "open" | "half_open" | string;
  breaker_since?: string | null;
}

/** crawlscope.aggregate.frames.RunTotals */
export interface RunTotals {
  requests: number;
  successes: number;
  failures: number;
  failures_by_type: Record<string, number>;
  retries: number;
  errors: number;
  errors_by_type: Record<string, number>;
  errors_by_stage: Record<string, number>;
  items_found: number;
  new_items: number;
  updated_items: number;
  duplicates: number;
  tasks_done: number;
  tasks_failed: number;
  tasks_requeued: number;
  events: number;
}

/** crawlscope.aggregate.frames.ProgressLevel */
export interface ProgressLevel {
  level: string;
  done: number;
  total: number;
  percent: number;
  eta_s?: number | null;
}

/** crawlscope.aggregate.frames.Throughput */
export interface Throughput {
  requests_per_s: number;
  items_per_s: number;
  items_per_min: number;
  window_s: number;
}

/** crawlscope.aggregate.frames.RunFrame: the live `state` frame and the REST run view. */
export interface RunFrame {
  run_id: string;
  collection?: string | null;
  status: RunStatus | string;
  phase?: string | null;
  params: Params;
  started_at?: string | null;
  ended_at?: string | null;
  duration_s?: number | null;
  paused_reason?: string | null;
  error?: string | null;
  totals: RunTotals;
  progress: ProgressLevel[];
  throughput: Throughput;
  eta_s?: number | null;
  dataset?: string | null;
  dataset_size?: number | null;
  last_seq: number;
  workers: WorkerCard[];
  sites: SiteCard[];
  errors: ErrorSummary[];
}

/** `GET /api/runs/{id}`: the frame plus where it came from. */
export interface RunDetail extends RunFrame {
  origin?: string;
  created_at?: string;
  live?: boolean;
}

/** A stored run row (docs/api.md, `RunSummary`). */
export interface RunSummary {
  id: string;
  collection?: string | null;
  status: RunStatus | string;
  params?: Params;
  origin?: string | null;
  created_at?: string | null;
  started_at?: string | null;
  ended_at?: string | null;
  duration_s?: number | null;
  paused_reason?: string | null;
  error?: string | null;
  dataset?: string | null;
  dataset_size?: number | null;
  last_seq?: number;
  totals?: Partial<RunTotals> | null;
  progress?: ProgressLevel[] | null;
}

export interface RunList {
  runs: RunSummary[];
  total: number;
  limit: number;
  offset: number;
}

export interface WorkerList {
  run_id: string;
  workers: WorkerCard[];
}

export interface SiteList {
  run_id: string;
  sites: SiteCard[];
}

export interface EventPage {
  events: ActivityEvent[];
  next_after_seq: number | null;
}

export interface ControlResult {
  run_id: string;
  outcome: string;
  status: string;
}

export interface TodayTotals {
  runs: number;
  requests: number;
  items: number;
  new_items: number;
  errors: number;
}

export interface Overview {
  today: TodayTotals;
  active: RunSummary[];
  recent: RunSummary[];
}

/** `GET /api/health/system` and the `system` stream event. */
export interface SystemHealth {
  cpu_percent: number;
  memory_percent: number;
  process_rss_mb: number;
  disk_free_gb: number;
  open_connections: number;
  active_runs: number;
  running_workers: number;
  subscribers: number;
}

export type Role = "viewer" | "operator" | "ingest" | "admin";

/** `GET /api/auth/me` */
export interface Me {
  authenticated: boolean;
  name?: string | null;
  role?: Role | null;
  auth_required: boolean;
}

/** The `gap` stream event. */
export interface GapNotice {
  run_id: string;
  missed: number;
  after_seq: number;
  events_url?: string;
}

/** The `end` stream event. */
export interface EndNotice {
  run_id: string;
  status: string;
}

/**
 * `GET /api/runs/{id}/items` (requested from the API, not in docs/api.md yet): the newest
 * dataset items a run wrote. Item data is arbitrary collected JSON.
 */
export interface ItemList {
  run_id: string;
  dataset?: string | null;
  items: Record<string, unknown>[];
  total?: number;
}

/** crawlscope.aggregate.series.SeriesPoint: one bucket of a run's history. */
export interface SeriesPoint {
  /** the bucket's start */
  t: string;
  requests_per_s: number;
  items_per_s: number;
  errors_per_s: Record<string, number>;
  /** absent when no request ended in the bucket */
  p50_ms?: number;
  p95_ms?: number;
}

/** `GET /api/runs/{id}/series`: the whole run from its stored events, in buckets of `bucket_s`. */
export interface RunSeries {
  run_id: string;
  bucket_s: number;
  points: SeriesPoint[];
}

/** The JSON error body every API error has (docs/api.md, Conventions). */
export interface ApiErrorBody {
  error: { code: string; message: string; field?: string };
}
