/**
 * The REST client: one `request` function that turns every non-2xx answer into an
 * `ApiError` carrying the server's JSON error (docs/api.md, Conventions), plus one typed
 * function per endpoint the dashboard uses.
 *
 * Auth is the session cookie set by `POST /api/auth/login` (same origin, so `fetch` sends
 * it). A 401 anywhere tells the auth layer the session is gone (see `onUnauthorized`).
 */
import type {
  AlertCounts,
  AnalyticsSummary,
  CostReport,
  ErrorReport,
  Heatmap,
  RunComparison,
  RunInsights,
  FieldInsights,
  SiteTable,
  Trends,
  AlertList,
  ChannelList,
  CollectionList,
  DeliveryAttempt,
  DeliveryList,
  RuleBody,
  RuleHistory,
  RuleInfo,
  RuleList,
  Silence,
  SilenceBody,
  SilenceList,
  TimelineList,
  VariableList,
  ControlResult,
  EventPage,
  ItemList,
  LoginResult,
  Me,
  Overview,
  RunDetail,
  RunList,
  RunSeries,
  SampleHistory,
  ScheduleCreate,
  ScheduleList,
  ScheduleView,
  ServicesHealth,
  SiteList,
  StartRunRequest,
  SystemHealth,
  TargetSites,
  WorkerProcesses,
  WorkerList,
} from "./types";

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;

  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
  }

  get isUnauthorized(): boolean {
    return this.status === 401;
  }

  get isForbidden(): boolean {
    return this.status === 403;
  }

  get isNotFound(): boolean {
    return this.status === 404;
  }
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

/** Called on every 401 so the app can send the user to the login page. */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/** Tell the `onUnauthorized` listeners the session is gone (a 401, or a stream ended for it). */
export function notifyUnauthorized(): void {
  unauthorizedListeners.forEach((l) => l());
}

async function errorFrom(response: Response): Promise<ApiError> {
  let code = `http_${response.status}`;
  let message = `${response.status} ${response.statusText}`.trim();
  let field: string | undefined;
  try {
    const body: unknown = await response.json();
    const err = (body as { error?: { code?: unknown; message?: unknown; field?: unknown } }).error;
    if (err && typeof err === "object") {
      if (typeof err.code === "string") code = err.code;
      if (typeof err.message === "string") message = err.message;
      if (typeof err.field === "string") field = err.field;
    }
  } catch {
    // not JSON (a proxy's error page): keep the status line
  }
  return new ApiError(response.status, code, message, field);
}

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "DELETE";
  body?: unknown;
  signal?: AbortSignal;
}

/** Fetch `path` (same origin) and decode JSON; throws `ApiError` for any non-2xx. */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const init: RequestInit = {
    method: options.method ?? "GET",
    credentials: "same-origin",
    headers: { Accept: "application/json" },
    signal: options.signal ?? null,
  };
  if (options.body !== undefined) {
    init.headers = { ...init.headers, "Content-Type": "application/json" };
    init.body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch (exc) {
    if (exc instanceof DOMException && exc.name === "AbortError") throw exc;
    throw new ApiError(0, "network", "the server cannot be reached");
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    if (error.isUnauthorized) unauthorizedListeners.forEach((l) => l());
    throw error;
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** The range and filter every analytics endpoint takes (docs/api.md, Analytics). */
export interface AnalyticsParams {
  days?: number;
  since?: string;
  until?: string;
  collection?: string;
}

function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

const enc = encodeURIComponent;

export const api = {
  me: () => request<Me>("/api/auth/me"),
  login: (token: string) =>
    request<LoginResult>("/api/auth/login", { method: "POST", body: { token } }),
  logout: () => request<unknown>("/api/auth/logout", { method: "POST" }),

  overview: () => request<Overview>("/api/overview"),
  system: () => request<SystemHealth>("/api/health/system"),
  targetSites: () => request<TargetSites>("/api/health/sites"),
  services: () => request<ServicesHealth>("/api/health/services"),
  workerProcesses: () => request<WorkerProcesses>("/api/health/workers"),
  systemHistory: (hours: number) =>
    request<SampleHistory>(`/api/health/system/history${query({ hours, points: 360 })}`),
  runHost: (id: string) => request<SampleHistory>(`/api/runs/${enc(id)}/host`),

  runs: (p: { status?: string; limit?: number; offset?: number }) =>
    request<RunList>(`/api/runs${query(p)}`),
  collections: () => request<CollectionList>("/api/collections"),
  startRun: (body: StartRunRequest) => request<RunDetail>("/api/runs", { method: "POST", body }),
  run: (id: string) => request<RunDetail>(`/api/runs/${enc(id)}`),
  workers: (id: string) => request<WorkerList>(`/api/runs/${enc(id)}/workers`),
  sites: (id: string) => request<SiteList>(`/api/runs/${enc(id)}/sites`),
  events: (
    id: string,
    p: {
      after_seq?: number;
      limit?: number;
      worker_id?: number;
      action?: string;
      error_type?: string;
    },
    signal?: AbortSignal,
  ) => request<EventPage>(`/api/runs/${enc(id)}/events${query(p)}`, signal ? { signal } : {}),
  series: (id: string, points: number, signal?: AbortSignal) =>
    request<RunSeries>(`/api/runs/${enc(id)}/series${query({ points })}`, signal ? { signal } : {}),
  items: (id: string, limit = 20) =>
    request<ItemList>(`/api/runs/${enc(id)}/items${query({ limit })}`),
  /** Where the browser downloads a run's items (a plain link: the session cookie goes along). */
  itemsExportUrl: (id: string, format: "jsonl" | "csv") =>
    `/api/runs/${enc(id)}/items/export${query({ format })}`,
  control: (id: string, command: "pause" | "resume" | "cancel") =>
    request<ControlResult>(`/api/runs/${enc(id)}/${command}`, { method: "POST" }),
  retry: (id: string) => request<RunDetail>(`/api/runs/${enc(id)}/retry`, { method: "POST" }),

  schedules: () => request<ScheduleList>("/api/schedules"),
  createSchedule: (body: ScheduleCreate) =>
    request<ScheduleView>("/api/schedules", { method: "POST", body }),
  scheduleAction: (id: number, action: "pause" | "resume") =>
    request<ScheduleView>(`/api/schedules/${id}/${action}`, { method: "POST" }),
  deleteSchedule: (id: number) => request<undefined>(`/api/schedules/${id}`, { method: "DELETE" }),

  alerts: (p: { run_id?: string; open?: boolean; limit?: number } = {}) =>
    request<AlertList>(`/api/alerts${query({ ...p, open: p.open ? "true" : undefined })}`),
  alertCounts: () => request<AlertCounts>("/api/alerts/counts"),
  alertTimeline: (p: { since?: string; run_id?: string; limit?: number }) =>
    request<TimelineList>(`/api/alerts/timeline${query(p)}`),
  alertRules: () => request<RuleList>("/api/alerts/rules"),
  putAlertRule: (body: RuleBody) =>
    request<RuleInfo>(`/api/alerts/rules/${enc(body.name)}`, { method: "PUT", body }),
  deleteAlertRule: (name: string) =>
    request<undefined>(`/api/alerts/rules/${enc(name)}`, { method: "DELETE" }),
  alertRuleHistory: (name: string) =>
    request<RuleHistory>(`/api/alerts/rules/${enc(name)}/history`),
  silences: () => request<SilenceList>("/api/alerts/silences"),
  addSilence: (body: SilenceBody) =>
    request<Silence>("/api/alerts/silences", { method: "POST", body }),
  endSilence: (id: string) =>
    request<Silence>(`/api/alerts/silences/${enc(id)}`, { method: "DELETE" }),
  alertChannels: () => request<ChannelList>("/api/alerts/channels"),
  testAlertChannel: (channel: string) =>
    request<DeliveryAttempt>("/api/alerts/test", { method: "POST", body: { channel } }),
  alertDeliveries: (limit = 50) =>
    request<DeliveryList>(`/api/alerts/deliveries${query({ limit })}`),
  alertVariables: () => request<VariableList>("/api/alerts/variables"),

  analyticsSummary: (p: AnalyticsParams) =>
    request<AnalyticsSummary>(`/api/analytics/summary${query({ ...p })}`),
  analyticsTrends: (p: AnalyticsParams & { resolution?: string }) =>
    request<Trends>(`/api/analytics/trends${query({ ...p })}`),
  analyticsSites: (p: AnalyticsParams) =>
    request<SiteTable>(`/api/analytics/sites${query({ ...p })}`),
  analyticsErrors: (p: AnalyticsParams & { limit?: number }) =>
    request<ErrorReport>(`/api/analytics/errors${query({ ...p })}`),
  analyticsHeatmap: (p: AnalyticsParams & { tz?: string }) =>
    request<Heatmap>(`/api/analytics/heatmap${query({ ...p })}`),
  analyticsFields: (p: AnalyticsParams & { sample?: number }) =>
    request<FieldInsights>(`/api/analytics/fields${query({ ...p })}`),
  analyticsInsights: (p: AnalyticsParams & { limit?: number }) =>
    request<RunInsights>(`/api/analytics/insights${query({ ...p })}`),
  analyticsCosts: (p: AnalyticsParams & { limit?: number }) =>
    request<CostReport>(`/api/analytics/costs${query({ ...p })}`),
  compareRuns: (a: string, b: string) =>
    request<RunComparison>(`/api/analytics/compare${query({ a, b })}`),
};
