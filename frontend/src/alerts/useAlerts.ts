/**
 * The alert queries, one hook each, with their keys in one place so a change (a rule
 * saved, a silence added) invalidates exactly what it changes. Open alerts and counts are
 * polled: alert states change on the server's evaluation tick, not through the live
 * stream.
 */
import { useQuery } from "@tanstack/react-query";

import { api } from "../lib/api";
import { alertingOff } from "./alertText";

export const ALERT_KEYS = {
  all: ["alerts"] as const,
  counts: ["alerts", "counts"] as const,
  list: (runId?: string) => ["alerts", "list", runId ?? ""] as const,
  timeline: (since: string) => ["alerts", "timeline", since] as const,
  rules: ["alerts", "rules"] as const,
  ruleHistory: (name: string) => ["alerts", "rule-history", name] as const,
  silences: ["alerts", "silences"] as const,
  channels: ["alerts", "channels"] as const,
  deliveries: ["alerts", "deliveries"] as const,
  variables: ["alerts", "variables"] as const,
};

/** How often open alerts and their counts are asked for. */
export const ALERT_POLL_MS = 3000;

/** Poll every `ms`, but not a server whose alerting is switched off (503). */
function pollUnlessOff(ms: number) {
  return (query: { state: { error: unknown } }) => (alertingOff(query.state.error) ? false : ms);
}

/** Firing and pending counts (the navigation's badge). */
export function useAlertCounts(enabled = true) {
  return useQuery({
    queryKey: ALERT_KEYS.counts,
    enabled,
    queryFn: api.alertCounts,
    refetchInterval: pollUnlessOff(ALERT_POLL_MS),
    staleTime: 1000,
  });
}

/** Open alerts then recent resolved ones; of one run with `runId`. `live` polls. */
export function useAlertList(runId?: string, live = true) {
  return useQuery({
    queryKey: ALERT_KEYS.list(runId),
    queryFn: () => api.alerts(runId ? { run_id: runId, limit: 200 } : { limit: 200 }),
    refetchInterval: live ? pollUnlessOff(ALERT_POLL_MS) : false,
    staleTime: 1000,
  });
}

export function useAlertTimeline(since: string) {
  return useQuery({
    queryKey: ALERT_KEYS.timeline(since),
    queryFn: () => api.alertTimeline({ since, limit: 500 }),
    refetchInterval: 10_000,
  });
}

export function useAlertRules() {
  return useQuery({
    queryKey: ALERT_KEYS.rules,
    queryFn: api.alertRules,
    refetchInterval: ALERT_POLL_MS,
  });
}

export function useRuleHistory(name: string) {
  return useQuery({
    queryKey: ALERT_KEYS.ruleHistory(name),
    queryFn: () => api.alertRuleHistory(name),
  });
}

export function useSilences() {
  return useQuery({
    queryKey: ALERT_KEYS.silences,
    queryFn: api.silences,
    refetchInterval: 15_000,
  });
}

export function useAlertChannels() {
  return useQuery({ queryKey: ALERT_KEYS.channels, queryFn: api.alertChannels });
}

export function useDeliveries() {
  return useQuery({
    queryKey: ALERT_KEYS.deliveries,
    queryFn: () => api.alertDeliveries(30),
    refetchInterval: 10_000,
  });
}

export function useAlertVariables() {
  return useQuery({
    queryKey: ALERT_KEYS.variables,
    queryFn: api.alertVariables,
    staleTime: Infinity,
  });
}
