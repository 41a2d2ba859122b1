/** Formatting of numbers, durations and times: one place, so every page reads the same. */

const intFmt = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

/** 12,345 ("–" when unknown). */
export function fmtInt(value: number | null | undefined): string {
  return value === null || value === undefined || Number.isNaN(value) ? "–" : intFmt.format(value);
}

/** 12.3 ("–" when unknown). */
export function fmtNum(value: number | null | undefined): string {
  return value === null || value === undefined || Number.isNaN(value)
    ? "–"
    : oneDecimal.format(value);
}

/** 0.953 -> "95.3%". */
export function fmtRatio(value: number | null | undefined): string {
  return value === null || value === undefined || Number.isNaN(value)
    ? "–"
    : `${oneDecimal.format(value * 100)}%`;
}

/** 12.3 -> "12.3%" (already a percentage). */
export function fmtPercent(value: number | null | undefined): string {
  return value === null || value === undefined || Number.isNaN(value)
    ? "–"
    : `${oneDecimal.format(value)}%`;
}

/** Milliseconds, compact: "850 ms", "1.2 s". */
export function fmtMs(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  if (value < 1000) return `${Math.round(value)} ms`;
  return `${oneDecimal.format(value / 1000)} s`;
}

/** Seconds as "45s", "12m 05s", "3h 02m", "2d 04h". */
export function fmtDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds) || seconds < 0) return "–";
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d ${String(h % 24).padStart(2, "0")}h`;
}

/** Parse the server's ISO-8601 UTC timestamps; NaN when absent. */
export function parseTs(ts: string | null | undefined): number {
  return ts ? Date.parse(ts) : Number.NaN;
}

/** "09:54:01" in the viewer's time zone (feeds). Hand-built: feeds format hundreds of
 * timestamps a second and `toLocaleTimeString` costs several microseconds each. */
export function fmtClock(ts: string | null | undefined): string {
  const t = parseTs(ts);
  if (Number.isNaN(t)) return "–";
  const d = new Date(t);
  const pad = (n: number) => (n < 10 ? `0${n}` : String(n));
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "2026-11-22 09:54" in the viewer's time zone (tables, headers). */
export function fmtDateTime(ts: string | null | undefined): string {
  const t = parseTs(ts);
  if (Number.isNaN(t)) return "–";
  const d = new Date(t);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "12s ago", "5m ago". */
export function fmtAgo(ts: string | null | undefined, now: number = Date.now()): string {
  const t = parseTs(ts);
  if (Number.isNaN(t)) return "–";
  return `${fmtDuration(Math.max(0, (now - t) / 1000))} ago`;
}

/** Cut `text` to `limit` characters with an ellipsis (the full text goes in a title). */
export function truncate(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

/** Query/API parameters as "page=2, min_price=25" (values as text, never markup). */
export function fmtParams(params: Record<string, unknown> | null | undefined): string {
  if (!params) return "";
  return Object.entries(params)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(", ");
}

/** "rate_limit" -> "rate limit". */
export function humanize(token: string | null | undefined): string {
  return token ? token.replace(/_/g, " ") : "";
}

/** What a `waiting` worker waits for at its site's gate (`WorkerCard.waiting_for`). */
const WAITING_FOR: Record<string, string> = {
  rate_limit: "the site's rate limit",
  retry_after: "a Retry-After hold",
  breaker: "the open circuit breaker",
  concurrency: "a free connection slot",
};

/** "the site's rate limit" for `rate_limit`; a reason this dashboard does not know, humanized. */
export function fmtWaitingFor(reason: string | null | undefined): string {
  if (!reason) return "its site";
  return WAITING_FOR[reason] ?? humanize(reason);
}

/** A stats value as text: integers grouped, other numbers rounded, the rest as JSON. */
export function fmtStat(value: unknown): string {
  if (typeof value === "number") return Number.isInteger(value) ? fmtInt(value) : fmtNum(value);
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}
