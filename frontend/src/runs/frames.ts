/** Which run frame the run page shows: the REST one, the live one, or the two merged. */
import type { RunDetail, RunFrame } from "../lib/types";
import { TERMINAL_STATUSES } from "../lib/types";

/**
 * A live `state` frame lacks what only `GET /api/runs/{id}` knows (origin, created_at,
 * live); the page may show one before the REST answer arrives.
 */
export type ShownFrame = RunFrame & Partial<Pick<RunDetail, "origin" | "created_at" | "live">>;

/** The newer of two frames of the same run (by last_seq; the live one on a tie). */
export function newerFrame(
  live: RunFrame | undefined,
  rest: RunDetail | undefined,
): ShownFrame | undefined {
  if (!live) return rest;
  if (!rest) return live;
  if (rest.last_seq > live.last_seq) return rest;
  if (TERMINAL_STATUSES.has(rest.status) && !TERMINAL_STATUSES.has(live.status)) return rest;
  return { ...rest, ...live };
}
