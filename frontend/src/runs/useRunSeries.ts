/**
 * The run's history as chart series from the server (`GET /api/runs/{id}/series`), fetched
 * once when the run page opens. It seeds the charts (`seedHistory`); live state frames
 * extend them from there, so there is no polling, for live runs as for ended ones.
 */
import { useQuery } from "@tanstack/react-query";

import { api } from "../lib/api";
import type { RunSeries } from "../lib/types";

/**
 * Buckets asked for: a third of the history's `MAX_POINTS`, leaving room for a quarter of
 * an hour of live points (one a second) before the history thins itself.
 */
export const SERIES_POINTS = 300;

export function useRunSeries(runId: string): RunSeries | undefined {
  const query = useQuery({
    queryKey: ["series", runId, SERIES_POINTS],
    queryFn: ({ signal }) => api.series(runId, SERIES_POINTS, signal),
    enabled: runId !== "",
    // Fetched once per page visit: never stale while the page is open (frames take over),
    // dropped when it closes so that opening the page again fetches the history up to then.
    staleTime: Number.POSITIVE_INFINITY,
    gcTime: 0,
    refetchOnReconnect: false,
    // Without the history (an older server, a failed request) the charts still fill from
    // live frames, as before: nothing to show, nothing to retry.
    retry: false,
  });
  return query.data;
}
