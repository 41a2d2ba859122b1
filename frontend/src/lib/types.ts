/**
 * The JSON shapes the dashboard reads.
 *
 * Most are aliases onto `./api-schema.ts`, which is generated from the server's OpenAPI
 * schema (`make openapi-types`; `make test` fails while it is out of date), so a change on
 * the Python side shows up here as a type error instead of a blank card. Hand-written
 * below, because the schema does not describe them: the payloads of the live stream that
 * are not REST shapes too (`system`, `gap`, `end`), `GET /api/health/system` (typed
 * `dict[str, Any]` on the server), and the value list of worker states (a plain `str`
 * field in the schema); the value lists of run statuses and of action groups are written
 * out here and checked against the schema's enums.
 */
import type { components } from "./api-schema";

type Schemas = components["schemas"];

/**
 * The schema lists every field that has a default as optional, which is what the wire
 * does for msgspec structs with `omit_defaults` (WorkerCard, ActivityEvent, SeriesPoint,
 * ErrorDetail: use those as generated). Every other struct the server encodes has all its
 * fields, `null` included: `Full` says so, and puts the full forms of nested shapes
 * (`Nested`) in place of the generated ones.
 */
type Full<T, Nested = unknown> = Omit<Required<T>, keyof Nested> & Nested;

export const WORKER_STATES = [
  "idle",
  "waiting",
  "requesting",
  "processing",
  "rate_limited",
  "backing_off",
  "error",
  "paused",
  "complete",
] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

export type RunStatus = Schemas["RunStatus"];
export const RUN_STATUSES = [
  "pending",
  "running",
  "paused",
  "completed",
  "completed_with_errors",
  "failed",
  "cancelled",
  "interrupted",
] as const satisfies readonly RunStatus[];
export const TERMINAL_STATUSES: ReadonlySet<string> = new Set([
  "completed",
  "completed_with_errors",
  "failed",
  "cancelled",
  "interrupted",
]);

export type Action = Schemas["Action"];
export type ErrorType = Schemas["ErrorType"];

// Feeds and filters group the actions; the groups must cover the server's enum exactly
// (see the checks below).
export const WORKER_ACTIONS = [
  "fetching",
  "found",
  "error",
  "rate_limited",
  "retrying",
  "waiting",
  "skipped",
  "complete",
] as const satisfies readonly Action[];
export const PIPELINE_ACTIONS = [
  "uploading",
  "deduped",
  "inserted",
  "updated",
] as const satisfies readonly Action[];
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
  "alert_action",
] as const satisfies readonly Action[];

export const ERROR_TYPES = [
  "rate_limit",
  "timeout",
  "connection",
  "http_4xx",
  "http_5xx",
  "parse_error",
  "handler_error",
  "api_error",
  "cancelled",
] as const satisfies readonly ErrorType[];

/** Compiles only when `T` is `never`: here, when a list above misses a server value. */
type AssertNone<T extends never> = T;
export type MissingActions = AssertNone<
  Exclude<
    Action,
    | (typeof WORKER_ACTIONS)[number]
    | (typeof PIPELINE_ACTIONS)[number]
    | (typeof SYSTEM_ACTIONS)[number]
  >
>;
export type MissingErrorTypes = AssertNone<Exclude<ErrorType, (typeof ERROR_TYPES)[number]>>;
export type MissingRunStatuses = AssertNone<Exclude<RunStatus, (typeof RUN_STATUSES)[number]>>;

export type Params = Record<string, unknown>;

/** crawlscope.events.ActivityEvent (omit_defaults: `worker_id` 0 and empty fields are left out) */
export type ActivityEvent = Schemas["ActivityEvent"];

/** crawlscope.aggregate.frames.ErrorSummary */
export type ErrorSummary = Full<Schemas["ErrorSummary"]>;

/** crawlscope.aggregate.frames.WorkerCard (omit_defaults: zero counters are absent) */
export type WorkerCard = Schemas["WorkerCard"];

/** crawlscope.aggregate.frames.SiteCard */
export type SiteCard = Full<Schemas["SiteCard"]>;

/** crawlscope.aggregate.frames.RunTotals */
export type RunTotals = Full<Schemas["RunTotals"]>;

/** crawlscope.aggregate.frames.ProgressLevel */
export type ProgressLevel = Full<Schemas["ProgressLevel"]>;

/** crawlscope.aggregate.frames.Throughput */
export type Throughput = Full<Schemas["Throughput"]>;

/** crawlscope.aggregate.frames.FieldQuality: one quality field's coverage and errors. */
export type FieldQuality = Full<Schemas["FieldQuality"]>;

/** crawlscope.aggregate.frames.QualityCard: live data quality (null: no item schema). */
export type QualityCard = Full<Schemas["QualityCard"], { fields: FieldQuality[] }>;

/** `GET /api/runs/{id}`: the run's frame plus where it came from. */
export type RunDetail = Full<
  Schemas["RunDetail"],
  {
    totals: RunTotals;
    progress: ProgressLevel[];
    throughput: Throughput;
    sites: SiteCard[];
    errors: ErrorSummary[];
    quality: QualityCard | null;
  }
>;

/**
 * crawlscope.aggregate.frames.RunFrame: the live `state` frame. The schema has it only
 * inside `RunDetail` (the stream is documented as text), which adds the last four fields.
 */
export type RunFrame = Omit<RunDetail, "origin" | "created_at" | "live" | "events_pruned_at">;

/** A stored run row: lists and the overview. */
export type RunSummary = Full<
  Schemas["RunSummary"],
  { totals: RunTotals; progress: ProgressLevel[] }
>;

export type RunList = Full<Schemas["RunList"], { runs: RunSummary[] }>;

export type WorkerList = Schemas["WorkerList"];

export type SiteList = Full<Schemas["SiteList"], { sites: SiteCard[] }>;

/** crawlscope.site_health.SiteHealth: a target site across the runs live in the server. */
export type SiteHealth = Full<Schemas["SiteHealth"]>;

/** crawlscope.worker_presence.WorkerPresence: a `crawlscope worker` process. */
export type WorkerPresence = Full<Schemas["WorkerPresence"]>;

/** `GET /api/health/workers` */
export type WorkerProcesses = Full<Schemas["WorkerProcesses"], { workers: WorkerPresence[] }>;

/** `GET /api/health/sites` */
export type TargetSites = Full<Schemas["TargetSites"], { sites: SiteHealth[] }>;

export type EventPage = Schemas["EventPage"];

export type ControlResult = Schemas["ControlAnswer"];

export type TodayTotals = Full<Schemas["DayTotals"]>;

export type Overview = Full<
  Schemas["OverviewBody"],
  { today: TodayTotals; active: RunSummary[]; recent: RunSummary[] }
>;

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
  /** Only in the stream's `system` message (and `/api/health/services`). */
  storage?: StorageStatus;
}

/** `GET /api/health/services`: is the database (and Redis) reachable, since when, why not. */
export type ServicesHealth = Schemas["ServicesHealth"];
export type DatabaseHealth = Schemas["DatabaseHealth"];
export type RedisHealth = Schemas["RedisHealth"];

/** Whether events can be stored (`store/health.py` `StorageStatus`, defaults left out). */
export interface StorageStatus {
  ok: boolean;
  unstored?: number;
  cause?: string;
  message?: string;
  advice?: string;
  failing_for_s?: number;
}

export type Role = Schemas["Role"];

/** `GET /api/auth/me` (pydantic, `None` fields left out) */
export type Me = Schemas["Me"];

/** `POST /api/auth/login` */
export type LoginResult = Schemas["LoginResult"];

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

/** `GET /api/runs/{id}/items`: the run's dataset items (arbitrary collected JSON). */
export type ItemList = Schemas["ItemPage"];

/** crawlscope.aggregate.series.SeriesPoint (omit_defaults: no latency when no request ended) */
export type SeriesPoint = Schemas["SeriesPoint"];

/** `GET /api/runs/{id}/series`: the whole run from its stored events, in buckets of `bucket_s`. */
export type RunSeries = Schemas["RunSeries"];

/** `GET /api/health/system/history` and `GET /api/runs/{id}/host`. */
export type SampleHistory = Schemas["SampleHistory"];
export type SystemSample = Schemas["SystemSample"];

/** A phase of a registered collection and its default worker count. */
export type PhaseInfo = Schemas["PhaseInfo"];

/** One entry of `GET /api/collections`: what a run (the "New run" form) or a schedule can start. */
export type CollectionInfo = Full<Schemas["CollectionInfo"], { phases: PhaseInfo[] }>;

/** `GET /api/collections` */
export type CollectionList = Full<Schemas["CollectionList"], { collections: CollectionInfo[] }>;

/** The body of `POST /api/runs` (operator); the answer is the new run's `RunDetail`. */
export type StartRunRequest = Schemas["StartRunRequest"];

/** The JSON error body every API error has (docs/api.md, Conventions). */
export type ApiErrorBody = Schemas["ErrorBody"];

/** One slot a schedule claimed: the run it started, or why none. */
export type SlotView = Full<Schemas["SlotView"]>;
export type SlotOutcome = Schemas["SlotOutcome"];

/** `GET /api/schedules/{id}`: a schedule with its next run, last run and recent slots. */
export type ScheduleView = Full<
  Schemas["ScheduleView"],
  { last_slot: SlotView | null; last_run: SlotView | null; slots: SlotView[] }
>;
export type ScheduleList = Full<Schemas["ScheduleList"], { schedules: ScheduleView[] }>;

/** Body of `POST /api/schedules`. */
export type ScheduleCreate = Schemas["ScheduleCreate"];

// ---- alerts (docs/alerts.md, API at the end) ----

export type Severity = Schemas["Severity"];
export type AlertState = Schemas["AlertState"];

/** One alert: a rule on one subject (every field is sent, `null` included). */
export type AlertRecord = Full<Schemas["AlertRecord"]>;
export type AlertCounts = Full<Schemas["AlertCounts"]>;
/** `GET /api/alerts`: open alerts (live), then resolved ones newest first. */
export type AlertList = Full<Schemas["AlertList"], { alerts: AlertRecord[]; counts: AlertCounts }>;

/** One state change of one alert (`GET /api/alerts/timeline`). */
export type TimelineEntry = Full<Schemas["TimelineEntry"]>;
export type TimelineList = Full<Schemas["TimelineList"], { entries: TimelineEntry[] }>;

/** A rule (omit_defaults: fields at their default are absent, use as generated). */
export type AlertRule = Schemas["Rule"];
export type RuleAction = Schemas["RuleAction"];
/** A rule in force with its last evaluation (`GET /api/alerts/rules`). */
export type RuleInfo = Full<Schemas["RuleInfo"], { rule: AlertRule }>;
export type RuleList = Full<Schemas["RuleList"], { rules: RuleInfo[] }>;
/** Body of `PUT /api/alerts/rules/{name}`. */
export type RuleBody = Schemas["RuleBody"];

/**
 * `GET /api/alerts/rules/{name}/history`: the server answers `{"changes": [RuleChange]}`
 * (store/alerts.py), undocumented in the schema, so written out here.
 */
export interface RuleChange {
  name: string;
  version: number;
  action: "created" | "updated" | "deleted" | "enabled" | "disabled";
  rule: AlertRule | null;
  changed_at: string;
  changed_by: string | null;
}
export interface RuleHistory {
  changes: RuleChange[];
}

export type Matcher = Full<Schemas["Matcher"]>;
export type Silence = Full<Schemas["Silence"], { matchers: Matcher[] }>;
export type SilenceList = Full<Schemas["SilenceList"], { silences: Silence[] }>;
export type SilenceBody = Schemas["SilenceBody"];

export type ChannelInfo = Schemas["ChannelInfo"];
export type ChannelList = Schemas["ChannelList"];
export type DeliveryAttempt = Schemas["DeliveryAttempt"];
export type DeliveryList = Schemas["DeliveryList"];

export type VariableInfo = Schemas["VariableInfo"];
export type VariableList = Schemas["VariableList"];

/** The range an analytics answer covers (`collection` null: every collection). */
export type AnalyticsWindow = Full<Schemas["Window"]>;
/** `GET /api/analytics/summary`. */
export type AnalyticsSummary = Full<Schemas["Summary"], { window: AnalyticsWindow }>;
export type TrendPoint = Full<Schemas["TrendPoint"]>;
/** `GET /api/analytics/trends`. */
export type Trends = Full<Schemas["Trends"], { window: AnalyticsWindow; points: TrendPoint[] }>;
export type SiteRow = Full<Schemas["SiteRow"]>;
/** `GET /api/analytics/sites`. */
export type SiteTable = Full<Schemas["SiteTable"], { window: AnalyticsWindow; sites: SiteRow[] }>;
export type ErrorGroup = Full<Schemas["ErrorGroup"]>;
/** `GET /api/analytics/errors`. */
export type ErrorReport = Full<
  Schemas["ErrorReport"],
  { window: AnalyticsWindow; groups: ErrorGroup[] }
>;
export type HeatCell = Full<Schemas["HeatCell"]>;
/** `GET /api/analytics/heatmap`. */
export type Heatmap = Full<Schemas["Heatmap"], { window: AnalyticsWindow; cells: HeatCell[] }>;
export type RunInsight = Full<Schemas["RunInsight"]>;
/** `GET /api/analytics/insights`. */
export type RunInsights = Full<
  Schemas["RunInsights"],
  { window: AnalyticsWindow; runs: RunInsight[] }
>;
/** `GET /api/analytics/fields`. */
export type FieldInsights = Schemas["FieldInsights"];
export type FieldInsight = Schemas["FieldInsight"];
export type Prices = Full<Schemas["Prices"]>;
export type RunCost = Full<Schemas["RunCost"]>;
/** `GET /api/analytics/costs`. */
export type CostReport = Full<
  Schemas["CostReport"],
  { window: AnalyticsWindow; runs: RunCost[]; prices: Record<string, Prices> }
>;
export type RunFigures = Full<Schemas["RunFigures"]>;
/** `GET /api/analytics/compare`. */
export type RunComparison = Full<Schemas["RunComparison"], { a: RunFigures; b: RunFigures }>;
