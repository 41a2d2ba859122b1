/** Words for schedules: timing, outcomes, and which form field a server error belongs to. */
import type { ScheduleView } from "../lib/types";

export const FORM_FIELDS = [
  "name",
  "collection",
  "interval_s",
  "cron",
  "timezone",
  "overlap",
  "catch_up",
  "params",
] as const;
export type FormField = (typeof FORM_FIELDS)[number] | "form";

/** The form field a server error names (`params.max_categories` belongs to `params`). */
export function formFieldOf(field: string | undefined): FormField {
  if (!field) return "form";
  const head = field.split(/[.[]/, 1)[0] ?? "";
  return (FORM_FIELDS as readonly string[]).includes(head) ? (head as FormField) : "form";
}

/** "every 10 s", "every 2 min", "cron 30 2 * * * (Europe/Berlin)". */
export function timingText(view: Pick<ScheduleView, "interval_s" | "cron" | "timezone">): string {
  if (view.cron) return `cron ${view.cron} (${view.timezone})`;
  const s = view.interval_s ?? 0;
  if (s >= 3600 && s % 3600 === 0) return `every ${s / 3600} h`;
  if (s >= 60 && s % 60 === 0) return `every ${s / 60} min`;
  return `every ${s} s`;
}

/** A moment in the schedule's own zone, as the server wrote it (`2026-12-05T02:30:00+01:00`):
 *  `2026-12-05 02:30:00 +01:00`. */
export function localText(iso: string | null | undefined): string {
  if (!iso) return "–";
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(iso);
  if (!m) return iso;
  return `${m[1]} ${m[2]} ${m[3] === "Z" ? "+00:00" : m[3]}`;
}

/** The time zones the browser knows (for the form's suggestions); UTC first. */
export function knownZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  const zones = intl.supportedValuesOf?.("timeZone") ?? [];
  return ["UTC", ...zones.filter((z) => z !== "UTC")];
}
