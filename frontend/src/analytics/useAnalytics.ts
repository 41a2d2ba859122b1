/**
 * The analytics queries, one hook per endpoint, keyed by endpoint and parameters so a
 * change of range or collection fetches exactly what it changes. History changes slowly:
 * answers are fresh for 30 s and refreshed every minute while the page is open.
 */
import { keepPreviousData, useQuery } from "@tanstack/react-query";

import { api, type AnalyticsParams } from "../lib/api";

export const ANALYTICS_KEYS = {
  all: ["analytics"] as const,
  of: (endpoint: string, params: object) => ["analytics", endpoint, params] as const,
};

const REFRESH_MS = 60_000;
const common = {
  staleTime: 30_000,
  refetchInterval: REFRESH_MS,
  placeholderData: keepPreviousData,
};

export function useAnalyticsSummary(p: AnalyticsParams) {
  return useQuery({
    queryKey: ANALYTICS_KEYS.of("summary", p),
    queryFn: () => api.analyticsSummary(p),
    ...common,
  });
}

export function useAnalyticsTrends(p: AnalyticsParams) {
  return useQuery({
    queryKey: ANALYTICS_KEYS.of("trends", p),
    queryFn: () => api.analyticsTrends(p),
    ...common,
  });
}

export function useAnalyticsSites(p: AnalyticsParams) {
  return useQuery({
    queryKey: ANALYTICS_KEYS.of("sites", p),
    queryFn: () => api.analyticsSites(p),
    ...common,
  });
}

export function useAnalyticsErrors(p: AnalyticsParams) {
  return useQuery({
    queryKey: ANALYTICS_KEYS.of("errors", p),
    queryFn: () => api.analyticsErrors({ ...p, limit: 50 }),
    ...common,
  });
}

/** The browser's IANA time zone (the heatmap's weekdays and hours); UTC if unknown. */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

export function useAnalyticsHeatmap(p: AnalyticsParams, tz: string = browserTimeZone()) {
  return useQuery({
    queryKey: ANALYTICS_KEYS.of("heatmap", { ...p, tz }),
    queryFn: () => api.analyticsHeatmap({ ...p, tz }),
    ...common,
  });
}

export function useAnalyticsInsights(p: AnalyticsParams) {
  return useQuery({
    queryKey: ANALYTICS_KEYS.of("insights", p),
    queryFn: () => api.analyticsInsights({ ...p, limit: 500 }),
    ...common,
  });
}

/** Per-field value counts and distributions; idle until a collection is picked. */
export function useAnalyticsFields(p: AnalyticsParams) {
  return useQuery({
    queryKey: ANALYTICS_KEYS.of("fields", p),
    queryFn: () => api.analyticsFields(p),
    enabled: Boolean(p.collection),
    ...common,
  });
}

export function useAnalyticsCosts(p: AnalyticsParams) {
  return useQuery({
    queryKey: ANALYTICS_KEYS.of("costs", p),
    queryFn: () => api.analyticsCosts({ ...p, limit: 100 }),
    ...common,
  });
}

/** Two runs side by side; idle until both are picked and differ. */
export function useRunComparison(a: string, b: string) {
  return useQuery({
    queryKey: ANALYTICS_KEYS.of("compare", { a, b }),
    queryFn: () => api.compareRuns(a, b),
    enabled: Boolean(a && b && a !== b),
    staleTime: 30_000,
  });
}
