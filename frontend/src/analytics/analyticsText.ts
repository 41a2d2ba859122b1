/**
 * Formatting and small pure helpers of the Analytics page: ranges to query parameters,
 * numbers to text, the heatmap's grid. Pure so vitest checks them without a browser.
 */
import type { AnalyticsParams } from "../lib/api";
import type { HeatCell, RunComparison } from "../lib/types";

/** The range picker's choices: label and days back from now. */
export const RANGES = [
  { key: "1h", label: "Last hour", days: 1 / 24 },
  { key: "24h", label: "Last 24 hours", days: 1 },
  { key: "7d", label: "Last 7 days", days: 7 },
  { key: "30d", label: "Last 30 days", days: 30 },
  { key: "90d", label: "Last 90 days", days: 90 },
] as const;

export type RangeKey = (typeof RANGES)[number]["key"];

export const DEFAULT_RANGE: RangeKey = "7d";

/** Query parameters of a picked range and collection ("" = every collection). */
export function rangeParams(range: RangeKey, collection: string): AnalyticsParams {
  const days = RANGES.find((r) => r.key === range)?.days ?? 7;
  return collection ? { days, collection } : { days };
}

const INT = new Intl.NumberFormat("en-US");

export function fmtCount(value: number | null | undefined): string {
  return value === null || value === undefined ? "–" : INT.format(Math.round(value));
}

/** A fraction as a percentage with one decimal; a dash where nothing was counted. */
export function fmtRate(value: number | null | undefined): string {
  return value === null || value === undefined ? "–" : `${(value * 100).toFixed(1)} %`;
}

export function fmtMs(value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(0)} ms`;
}

/** A cost: four significant decimals below 1, two above (the prices' own currency). */
export function fmtCost(value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  if (value === 0) return "0";
  return Math.abs(value) < 1 ? value.toPrecision(3) : value.toFixed(2);
}

export function fmtBytes(value: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let size = value;
  let unit = 0;
  while (size >= 1000 && unit < units.length - 1) {
    size /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? size : size.toFixed(1)} ${units[unit]}`;
}

/** `+12 (+8.0 %)`: a difference with its relative change, signed. */
export function fmtDifference(difference: number | null, change: number | null): string {
  if (difference === null) return "–";
  const rounded = Math.abs(difference) >= 100 ? Math.round(difference) : +difference.toFixed(3);
  const sign = rounded > 0 ? "+" : "";
  const relative =
    change === null ? "" : ` (${change > 0 ? "+" : ""}${(change * 100).toFixed(1)} %)`;
  return `${sign}${rounded}${relative}`;
}

/** The rows the run comparison shows: label, field, and how to format it. */
export const COMPARED: {
  label: string;
  field: keyof RunComparison["a"];
  fmt: (v: number) => string;
}[] = [
  { label: "Duration", field: "duration_s", fmt: (v) => `${v.toFixed(1)} s` },
  { label: "Requests", field: "requests", fmt: fmtCount },
  { label: "Success rate", field: "success_rate", fmt: fmtRate },
  { label: "Errors", field: "errors", fmt: fmtCount },
  { label: "Items found", field: "items_found", fmt: fmtCount },
  { label: "New items", field: "new_items", fmt: fmtCount },
  { label: "Updated items", field: "updated_items", fmt: fmtCount },
  { label: "Duplicates", field: "duplicates", fmt: fmtCount },
  { label: "p50 latency", field: "p50_ms", fmt: fmtMs },
  { label: "p95 latency", field: "p95_ms", fmt: fmtMs },
  { label: "Cost", field: "cost", fmt: fmtCost },
];

export const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/** A 7 x 24 grid of requests (weekday rows, Monday first) and its largest value. */
export function heatGrid(cells: HeatCell[]): { grid: number[][]; max: number } {
  const grid = WEEKDAYS.map(() => new Array<number>(24).fill(0));
  let max = 0;
  for (const cell of cells) {
    const row = grid[cell.weekday];
    if (!row || cell.hour < 0 || cell.hour > 23) continue;
    row[cell.hour] = cell.requests;
    max = Math.max(max, cell.requests);
  }
  return { grid, max };
}
