/**
 * Which `crawlscope worker` process each worker card of a run belongs to, and whether that
 * process is gone.
 *
 * With the distributed work queue each worker process takes a block of worker ids per run
 * (its slots) and lists it in its presence (`GET /api/health/workers`, every 5 s; a process
 * killed without a word drops out of the list when its presence expires, 15 s). Pure
 * functions here; `useRunProcesses` polls and remembers.
 */
import type { WorkerCard, WorkerPresence, WorkerState } from "../lib/types";

/** A block of worker ids of the run and the process that took it. */
export interface SlotBlock {
  name: string;
  first: number;
  last: number;
  /** Listed by a live process now (false: seen earlier on this page, no longer listed). */
  live: boolean;
}

/** A run's worker processes as the page knows them. */
export interface RunProcesses {
  /** Live blocks first, then blocks remembered from earlier on this page. */
  blocks: readonly SlotBlock[];
  /** Some live process holds a block of the run now, or did earlier on this page. */
  hadLive: boolean;
  /** The newest announcement of any listed process (ms since the epoch); the time of the
   * listing when no process is listed. What a card's age is compared with. */
  heardAt: number;
}

/**
 * A block taken just before the last announcement is listed at the next one (5 s later)
 * and the page reads the list every 5 s: a busy card younger than this, relative to the
 * newest announcement, is never called gone.
 */
export const GONE_GRACE_MS = 10_000;

/** States in which a worker claims to be working on something. */
export const BUSY_STATES: ReadonlySet<string> = new Set<WorkerState>([
  "waiting",
  "requesting",
  "processing",
  "rate_limited",
  "backing_off",
]);

/** The blocks of run `runId` that the listed processes hold now, by first id. */
export function liveBlocks(workers: readonly WorkerPresence[], runId: string): SlotBlock[] {
  const found: SlotBlock[] = [];
  for (const w of workers) {
    for (const b of w.blocks) {
      if (b.run_id === runId)
        found.push({ name: w.name, first: b.first, last: b.last, live: true });
    }
  }
  return found.sort((a, b) => a.first - b.first);
}

/**
 * The live blocks, then those of `earlier` that no live block overlaps (marked not live):
 * a killed process's ids keep their name after it left the list.
 */
export function mergeBlocks(earlier: readonly SlotBlock[], live: SlotBlock[]): SlotBlock[] {
  const overlaps = (a: SlotBlock) => live.some((b) => a.first <= b.last && b.first <= a.last);
  const left = earlier.filter((b) => !overlaps(b)).map((b) => (b.live ? { ...b, live: false } : b));
  return [...live, ...left];
}

/** The newest `seen_at` of the listed processes (ms), or `fallback` when none is. */
export function newestAnnouncement(workers: readonly WorkerPresence[], fallback: number): number {
  let newest = Number.NEGATIVE_INFINITY;
  for (const w of workers) newest = Math.max(newest, Date.parse(w.seen_at));
  return Number.isFinite(newest) ? newest : fallback;
}

/** The block holding `workerId` (a live one before a remembered one). */
export function blockOf(processes: RunProcesses, workerId: number): SlotBlock | undefined {
  return processes.blocks.find((b) => b.first <= workerId && workerId <= b.last);
}

/**
 * Whether `card`'s process is gone: the run is active, the run has (or had, on this page)
 * live worker processes, the card is busy, no live process holds its id, and it has been in
 * its state for longer than `GONE_GRACE_MS` before the newest announcement.
 */
export function isGone(card: WorkerCard, processes: RunProcesses, active: boolean): boolean {
  if (!active || !processes.hadLive) return false;
  if (!BUSY_STATES.has(card.state ?? "idle")) return false;
  if (blockOf(processes, card.worker_id)?.live) return false;
  if (!card.state_since) return false;
  return Date.parse(card.state_since) + GONE_GRACE_MS < processes.heardAt;
}
