/**
 * The Alerts page's pure logic: the rule editor's form to and from the API's rule body,
 * silence matchers as text lines, where a rule comes from, time ranges, timeline days and
 * the stalled workers of a run. No React here, so all of it is tested directly.
 */
import { ApiError } from "../lib/api";
import { fmtNum } from "../lib/format";
import type { AlertRecord, AlertRule, RuleAction, RuleBody, TimelineEntry } from "../lib/types";

// ---- the rule editor ----

/** What the editor's inputs hold: text everywhere, as typed. */
export interface RuleForm {
  name: string;
  condition: string;
  subject: string; // "" = inferred by the server from the variables used
  for: string;
  severity: "info" | "warning" | "critical";
  collection: string;
  site: string;
  schedule: string;
  labels: string; // one `key=value` a line
  summary: string;
  channels: string; // comma-separated names
  actions: string; // one a line: pause, cancel, open_breaker 5m, lower_concurrency 2
  enabled: boolean;
}

/** The editor's fields; `form` is the message that belongs to no input. */
export const RULE_FIELDS = [
  "name",
  "condition",
  "subject",
  "for",
  "severity",
  "scope",
  "labels",
  "summary",
  "channels",
  "actions",
  "enabled",
  "form",
] as const;
export type RuleField = (typeof RULE_FIELDS)[number];

/** The input a server 400's `error.field` belongs to (`for_` and `scope.site` included). */
export function ruleFieldOf(field: string | undefined): RuleField {
  if (!field) return "form";
  const base = field.replace(/_$/, "").split(".")[0] ?? "";
  if (base === "value" || base === "description") return "form";
  return (RULE_FIELDS as readonly string[]).includes(base) ? (base as RuleField) : "form";
}

export const EMPTY_RULE_FORM: RuleForm = {
  name: "",
  condition: "",
  subject: "",
  for: "0s",
  severity: "warning",
  collection: "",
  site: "",
  schedule: "",
  labels: "",
  summary: "",
  channels: "",
  actions: "",
  enabled: true,
};

/** Seconds as the shortest duration text the server reads back: 90 -> "90s", 300 -> "5m". */
export function fmtFor(seconds: number | undefined): string {
  const s = seconds ?? 0;
  if (s > 0 && s % 3600 === 0) return `${s / 3600}h`;
  if (s > 0 && s % 60 === 0) return `${s / 60}m`;
  return `${s}s`;
}

function actionText(action: RuleAction): string {
  if (action.kind === "open_breaker") return `open_breaker ${fmtFor(action.duration_s ?? 0)}`;
  if (action.kind === "lower_concurrency") return `lower_concurrency ${action.concurrency ?? 1}`;
  return action.kind;
}

/** A rule in force as the editor shows it (editing an API rule). */
export function formFromRule(rule: AlertRule): RuleForm {
  return {
    name: rule.name,
    condition: rule.condition,
    subject: rule.subject ?? "run",
    for: fmtFor(rule.for_s),
    severity: rule.severity ?? "warning",
    collection: rule.scope?.collection ?? "",
    site: rule.scope?.site ?? "",
    schedule: rule.scope?.schedule ?? "",
    labels: Object.entries(rule.labels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join("\n"),
    summary: rule.summary ?? "",
    channels: (rule.channels ?? []).join(", "),
    actions: (rule.actions ?? []).map(actionText).join("\n"),
    enabled: rule.enabled ?? true,
  };
}

function lines(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
}

/** `key=value` lines -> a mapping; a line without `=` is an error naming it. */
export function parseLabelLines(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const line of lines(text)) {
    const at = line.indexOf("=");
    if (at <= 0) throw new FormError("labels", `"${line}" must look like key=value`);
    labels[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return labels;
}

/** `pause`, `cancel`, `open_breaker 5m` (or `open_breaker: 5m`), `lower_concurrency 2`. */
export function parseActionLines(text: string): unknown[] {
  return lines(text).map((line) => {
    const [kind = "", arg] = line.replace(":", " ").split(/\s+/).filter(Boolean);
    if (arg === undefined) return kind;
    if (kind === "lower_concurrency") return { [kind]: Number(arg) };
    return { [kind]: arg };
  });
}

/** A mistake the editor finds before asking the server. */
export class FormError extends Error {
  readonly field: RuleField;
  constructor(field: RuleField, message: string) {
    super(message);
    this.field = field;
  }
}

/** The editor's text as the API's rule body; throws `FormError` for unreadable lines. */
export function bodyFromForm(form: RuleForm): RuleBody {
  const scope: Record<string, string> = {};
  if (form.collection.trim()) scope.collection = form.collection.trim();
  if (form.site.trim()) scope.site = form.site.trim();
  if (form.schedule.trim()) scope.schedule = form.schedule.trim();
  const body: RuleBody = {
    name: form.name.trim(),
    condition: form.condition.trim(),
    for: form.for.trim() || "0s",
    severity: form.severity,
    scope,
    labels: parseLabelLines(form.labels),
    summary: form.summary,
    channels: form.channels
      .split(",")
      .map((c) => c.trim())
      .filter(Boolean),
    actions: parseActionLines(form.actions),
    enabled: form.enabled,
  };
  if (form.subject) body.subject = form.subject;
  return body;
}

// ---- silences ----

/** The silence form's matcher text: one matcher a line (`collection=shop`). */
export function matcherLines(text: string): string[] {
  return lines(text);
}

/** A matcher as typed: `collection=shop`, `site=~".*example.*"`. */
export function matcherText(m: { label: string; op?: string; value: string }): string {
  return `${m.label}${m.op ?? "="}${m.value}`;
}

/** Whether a silence holds now: not ended early and its end still ahead. */
export function silenceActive(
  s: { ends_at: string; expired_at: string | null },
  now: number = Date.now(),
): boolean {
  return !s.expired_at && Date.parse(s.ends_at) > now;
}

// ---- rules ----

export type RuleOrigin = "builtin" | "file" | "api";

/** Where a rule was defined, and so where it is changed. */
export function ruleOrigin(rule: AlertRule): RuleOrigin {
  if (rule.builtin || rule.source === "builtin") return "builtin";
  const source = rule.source ?? "api";
  return source === "api" ? "api" : "file";
}

/** A rule's source as its tag shows it: a file's name and line without its folders. */
export function shortSource(rule: AlertRule): string {
  const origin = ruleOrigin(rule);
  if (origin === "builtin") return "built-in";
  if (origin === "api") return "api";
  const source = rule.source ?? "";
  return source.slice(source.lastIndexOf("/") + 1) || source;
}

/** Where to change a read-only rule. */
export function whereToChange(rule: AlertRule): string {
  const origin = ruleOrigin(rule);
  if (origin === "builtin")
    return "A built-in rule: switch it off or change it in a rule file's `builtin:` section.";
  if (origin === "file") return `Defined in ${rule.source ?? "a rule file"}: change it there.`;
  return "";
}

/** An alert's or rule's value for display (up to 3 decimals, "–" when unknown). */
export function fmtValue(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  if (Number.isInteger(value)) return String(value);
  if (Math.abs(value) < 10) return String(Math.round(value * 1000) / 1000);
  return fmtNum(value);
}

const SEVERITY_RANK: Record<string, number> = { critical: 0, warning: 1, info: 2 };

/** Open alerts as the page lists them: firing before pending, then critical first, then newest. */
export function sortOpen(alerts: readonly AlertRecord[]): AlertRecord[] {
  return alerts
    .filter((a) => a.state !== "resolved")
    .sort(
      (a, b) =>
        (a.state === "firing" ? 0 : 1) - (b.state === "firing" ? 0 : 1) ||
        (SEVERITY_RANK[a.severity] ?? 3) - (SEVERITY_RANK[b.severity] ?? 3) ||
        since(b).localeCompare(since(a)),
    );
}

/** When an alert entered its current state. */
export function since(a: AlertRecord): string {
  if (a.state === "resolved") return a.resolved_at ?? a.updated_at ?? "";
  if (a.state === "firing") return a.fired_at ?? a.pending_since ?? "";
  return a.pending_since ?? "";
}

/** The labels worth showing as chips (rule and severity have their own columns). */
export function shownLabels(labels: Record<string, string>): [string, string][] {
  return Object.entries(labels).filter(([k]) => k !== "rule" && k !== "severity");
}

/**
 * The ids (as text, as in `labels.worker`) of the workers of run `runId` with an open
 * `worker_stalled` alert.
 */
export function stalledWorkers(
  alerts: readonly AlertRecord[] | undefined,
  runId: string,
): ReadonlySet<string> {
  const ids = new Set<string>();
  for (const a of alerts ?? []) {
    if (a.rule !== "worker_stalled" || a.state === "resolved") continue;
    if ((a.labels.run_id ?? a.run_id) !== runId || a.labels.worker === undefined) continue;
    ids.add(a.labels.worker);
  }
  return ids;
}

// ---- the timeline ----

export const RANGES = {
  "1h": { label: "last hour", seconds: 3600 },
  "24h": { label: "24 h", seconds: 86_400 },
  "7d": { label: "7 days", seconds: 7 * 86_400 },
} as const;
export type RangeKey = keyof typeof RANGES;

/** The `since` of a range, to the minute (so the query key stays put within a minute). */
export function sinceFor(range: RangeKey, now: number = Date.now()): string {
  const minute = Math.floor(now / 60_000) * 60_000;
  return new Date(minute - RANGES[range].seconds * 1000).toISOString();
}

/** The viewer's calendar day of an ISO time: "2026-11-22". */
export function dayOf(ts: string): string {
  const d = new Date(ts);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** State changes (newest first, as the server sends them) grouped by day, newest day first. */
export function groupByDay(entries: readonly TimelineEntry[]): [string, TimelineEntry[]][] {
  const days = new Map<string, TimelineEntry[]>();
  for (const e of entries) {
    const day = dayOf(e.at);
    const list = days.get(day);
    if (list) list.push(e);
    else days.set(day, [e]);
  }
  return [...days.entries()];
}

/** The server answers 503 when alerting is switched off (`alerts_enabled`). */
export function alertingOff(error: unknown): boolean {
  return error instanceof ApiError && error.status === 503;
}
