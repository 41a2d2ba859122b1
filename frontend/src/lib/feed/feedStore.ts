/**
 * The browser-side feeds of one run: capped buffers of raw activity events.
 *
 * Three views are kept as events arrive, each a `Ring` so memory stays flat however long
 * the run is: the whole run, the data pipeline (uploading/deduped/inserted/updated) and
 * one small ring per worker (so expanding a worker shows its recent history at once).
 * Listeners are told about changes at most every `notifyMs`, not per event: at hundreds
 * of events a second, re-rendering per event would be most of the page's work.
 *
 * Feeds are lists to read, never a source of numbers: totals come from state frames.
 */
import { Ring } from "../ring";
import type { ActivityEvent, GapNotice } from "../types";
import { PIPELINE_ACTIONS } from "../types";

export type FeedEntry =
  | { kind: "event"; key: string; event: ActivityEvent }
  | { kind: "gap"; key: string; gap: GapNotice };

export interface FeedCaps {
  all: number;
  pipeline: number;
  perWorker: number;
  /** Workers with their own ring; beyond this the oldest-created ring is dropped. */
  workers: number;
}

export const DEFAULT_CAPS: FeedCaps = { all: 5000, pipeline: 500, perWorker: 100, workers: 256 };

const PIPELINE: ReadonlySet<string> = new Set(PIPELINE_ACTIONS);

let gapCounter = 0;

function entryOf(event: ActivityEvent): FeedEntry {
  return { kind: "event", key: event.id ?? `${event.run_id}:${event.seq ?? Math.random()}`, event };
}

export class FeedStore {
  all: Ring<FeedEntry>;
  pipeline: Ring<FeedEntry>;
  private readonly workers = new Map<number, Ring<FeedEntry>>();
  private readonly listeners = new Set<() => void>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Bumped on every notified change; `useSyncExternalStore` snapshots it. */
  version = 0;
  private oldestSeq: number | null = null;
  /** Highest seq held: a live event at or below it was already seeded from history. */
  private newestSeq = 0;

  constructor(
    readonly caps: FeedCaps = DEFAULT_CAPS,
    private readonly notifyMs = 400,
  ) {
    this.all = new Ring(caps.all);
    this.pipeline = new Ring(caps.pipeline);
  }

  /** Append a live event. */
  push(event: ActivityEvent): void {
    if (event.seq !== undefined) {
      if (event.seq <= this.newestSeq) return;
      this.newestSeq = event.seq;
    }
    const entry = entryOf(event);
    if (this.oldestSeq === null && event.seq !== undefined) this.oldestSeq = event.seq;
    this.all.push(entry);
    if (PIPELINE.has(event.action)) this.pipeline.push(entry);
    const wid = event.worker_id ?? 0;
    if (wid > 0) this.workerRing(wid, true)?.push(entry);
    this.schedule();
  }

  /** Record that the server dropped `gap.missed` events for this client. */
  pushGap(gap: GapNotice): void {
    const entry: FeedEntry = { kind: "gap", key: `gap-${++gapCounter}`, gap };
    this.all.push(entry);
    this.schedule();
  }

  /**
   * Put stored history (oldest first, e.g. from `GET /events`) *before* what arrived live.
   * Events at or after the first live seq are skipped, so nothing is shown twice.
   */
  seed(history: ActivityEvent[]): void {
    const firstLive = this.oldestSeq;
    const older = firstLive === null ? history : history.filter((e) => (e.seq ?? 0) < firstLive);
    if (older.length === 0) return;
    const live = this.all.toArrayNewestFirst().reverse();
    const livePipeline = this.pipeline.toArrayNewestFirst().reverse();
    const liveWorkers = new Map(
      [...this.workers].map(([id, ring]) => [id, ring.toArrayNewestFirst().reverse()]),
    );
    this.all = new Ring(this.caps.all);
    this.pipeline = new Ring(this.caps.pipeline);
    this.workers.clear();
    for (const event of older) {
      const entry = entryOf(event);
      this.all.push(entry);
      if (PIPELINE.has(event.action)) this.pipeline.push(entry);
      const wid = event.worker_id ?? 0;
      if (wid > 0) this.workerRing(wid, true)?.push(entry);
    }
    live.forEach((e) => this.all.push(e));
    livePipeline.forEach((e) => this.pipeline.push(e));
    for (const [id, entries] of liveWorkers) {
      const ring = this.workerRing(id, true);
      entries.forEach((e) => ring?.push(e));
    }
    if (older[0]?.seq !== undefined)
      this.oldestSeq = Math.min(this.oldestSeq ?? Infinity, older[0].seq);
    const lastSeeded = older[older.length - 1]?.seq;
    if (lastSeeded !== undefined && lastSeeded > this.newestSeq) this.newestSeq = lastSeeded;
    this.schedule();
  }

  /** The ring of worker `id` (created on first use when `create`). */
  workerRing(id: number, create = false): Ring<FeedEntry> | undefined {
    let ring = this.workers.get(id);
    if (!ring && create) {
      if (this.workers.size >= this.caps.workers) {
        const oldest = this.workers.keys().next().value;
        if (oldest !== undefined) this.workers.delete(oldest);
      }
      ring = new Ring(this.caps.perWorker);
      this.workers.set(id, ring);
    }
    return ring;
  }

  /** Entries held across all rings (for tests and the memory benchmark). */
  get heldEntries(): number {
    let n = this.all.size + this.pipeline.size;
    for (const ring of this.workers.values()) n += ring.size;
    return n;
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  };

  getVersion = (): number => this.version;

  /** Notify now (tests, and when a filter changes). */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.version += 1;
    this.listeners.forEach((fn) => fn());
  }

  clear(): void {
    this.all.clear();
    this.pipeline.clear();
    this.workers.clear();
    this.oldestSeq = null;
    this.newestSeq = 0;
    this.flush();
  }

  dispose(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.listeners.clear();
  }

  private schedule(): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => this.flush(), this.notifyMs);
  }
}
