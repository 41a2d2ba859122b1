/**
 * Whether two worker cards would render the same. Every state frame carries fresh card
 * objects; comparing their fields lets memoised cards skip re-rendering when a worker did
 * not change (most of them, most of the time, with 50 workers at 4 frames a second).
 */
import type { WorkerCard } from "../lib/types";

function sameRecord(
  a: Record<string, unknown> | undefined,
  b: Record<string, unknown> | undefined,
): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => a[k] === b[k]);
}

export function cardEqual(a: WorkerCard, b: WorkerCard): boolean {
  if (a === b) return true;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof WorkerCard>;
  for (const key of keys) {
    const va = a[key];
    const vb = b[key];
    if (va === vb) continue;
    if (typeof va === "object" && typeof vb === "object") {
      if (!sameRecord(va as Record<string, unknown>, vb as Record<string, unknown>)) return false;
    } else {
      return false;
    }
  }
  return true;
}
