/**
 * The worker processes of a run as its page knows them (`RunProcesses`): which process
 * holds which worker ids, remembered for the page's life so that a killed process's cards
 * keep its name and can be called gone.
 *
 * Reads `GET /api/health/workers` while the run is active: once to learn the server's work
 * queue, then every 5 s (as often as processes announce themselves) only if it is `redis`.
 * Undefined for local runs, ended runs and until the first answer: the cards look as they
 * always did.
 */
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";

import { api } from "../lib/api";
import type { WorkerProcesses } from "../lib/types";
import {
  liveBlocks,
  mergeBlocks,
  newestAnnouncement,
  type RunProcesses,
  type SlotBlock,
} from "./processBlocks";

export const PROCESSES_POLL_MS = 5000;

interface Remembered {
  runId: string;
  /** The answer these blocks were merged from (each answer is merged once). */
  from: WorkerProcesses | undefined;
  blocks: SlotBlock[];
  hadLive: boolean;
}

/** What the page knows after `data`: its live blocks, then the blocks seen before. */
function remember(seen: Remembered, data: WorkerProcesses, runId: string): Remembered {
  const earlier = seen.runId === runId ? seen : { blocks: [], hadLive: false };
  const live = liveBlocks(data.workers, runId);
  return {
    runId,
    from: data,
    blocks: mergeBlocks(earlier.blocks, live),
    hadLive: earlier.hadLive || live.length > 0,
  };
}

export function useRunProcesses(runId: string, active: boolean): RunProcesses | undefined {
  const query = useQuery({
    // The Overview's "Worker processes" panel reads the same list.
    queryKey: ["worker-processes"],
    queryFn: api.workerProcesses,
    enabled: active && runId !== "",
    refetchInterval: (q) =>
      active && q.state.data?.work_queue === "redis" ? PROCESSES_POLL_MS : false,
  });
  const data = active && query.data?.work_queue === "redis" ? query.data : undefined;
  const [seen, setSeen] = useState<Remembered>({
    runId,
    from: undefined,
    blocks: [],
    hadLive: false,
  });
  // Merged while rendering (React's "state from the previous render" pattern), so the cards
  // show a new answer in the render that brings it; an effect would show it one render late.
  let current = seen;
  if (data && (data !== seen.from || runId !== seen.runId)) {
    current = remember(seen, data, runId);
    setSeen(current);
  }
  const updatedAt = query.dataUpdatedAt;
  return useMemo(
    () =>
      data
        ? {
            blocks: current.blocks,
            hadLive: current.hadLive,
            heardAt: newestAnnouncement(data.workers, updatedAt),
          }
        : undefined,
    [data, current, updatedAt],
  );
}
