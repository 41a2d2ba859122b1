/**
 * The one live connection of a browser tab: an `EventSource` on `/api/stream`.
 *
 * - Focus: `?run_id=X` makes the server send every event of run X (ids `X:<seq>`) and full
 *   state frames for it; other runs only get lifecycle events and compact frames.
 * - Resume: while the browser retries on its own it sends the `Last-Event-ID` header it
 *   saw last. When the connection is closed for good (server restarted, 5xx) we open a
 *   new one ourselves, with `after_seq` in the query since a new `EventSource` cannot
 *   set headers (the server lets the header win when both are sent). Activity already seen (seq <= last) is dropped, so a
 *   resume never duplicates a feed row.
 * - Fallback: after `failuresBeforePolling` failed attempts in a row (or when the browser
 *   has no `EventSource`) the status becomes `offline` and the injected `poll` function is
 *   called every `pollIntervalMs` (REST: the run frame, new events, system health), while
 *   SSE keeps being retried with backoff; the first successful open stops the polling.
 * - Signed out: the server ends a stream whose token was revoked or whose session ended
 *   with a final `auth` event (docs/api.md, Live streams). The stream then stops for good
 *   (status `unauthorized`, no reconnect, no polling) and calls `onUnauthorized` so the auth
 *   layer can show the login page; `stop()` then `start()` (after a new login) connects again.
 *
 * Numbers never come from counting events here: frames are stored as the server sent
 * them, events only feed lists.
 */
import type { ActivityEvent, EndNotice, GapNotice, RunFrame, SystemHealth } from "../types";

export type LiveStatus = "connecting" | "live" | "reconnecting" | "offline" | "unauthorized";

/** The subset of `EventSource` this module uses (so tests can inject a fake). */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((ev: Event) => unknown) | null;
  onerror: ((ev: Event) => unknown) | null;
  addEventListener(type: string, listener: (ev: MessageEvent) => void): void;
  close(): void;
}
export type EventSourceFactory = new (url: string, init?: EventSourceInit) => EventSourceLike;

/** What the polling fallback hands back for one round. */
export interface PollResult {
  frames?: RunFrame[];
  events?: ActivityEvent[];
  system?: SystemHealth;
}
/** Called while SSE is unavailable; `afterSeq` is the last seq seen of the focused run. */
export type Poller = (focusRunId: string | null, afterSeq: number) => Promise<PollResult>;

export interface LiveStreamOptions {
  url?: string;
  /** `EventSource` implementation; `null` means unavailable (poll only). */
  EventSource?: EventSourceFactory | null;
  poll?: Poller;
  failuresBeforePolling?: number;
  pollIntervalMs?: number;
  /** Reconnect delays grow from `backoffMinMs` doubling up to `backoffMaxMs`. */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** Called once when the server ends the stream because the credentials are no longer valid. */
  onUnauthorized?: () => void;
}

type Fn<T> = (value: T) => void;

const CONNECTING = 0;
const CLOSED = 2;

/** Parse an SSE id `X:<seq>` (or a bare `<seq>`) into its seq; null when not an id of run X. */
export function seqFromId(id: string | null | undefined, runId: string | null): number | null {
  if (!id) return null;
  const colon = id.lastIndexOf(":");
  if (colon === -1) return /^\d+$/.test(id) ? Number(id) : null;
  if (runId !== null && id.slice(0, colon) !== runId) return null;
  const seq = Number(id.slice(colon + 1));
  return Number.isInteger(seq) ? seq : null;
}

export class LiveStream {
  private readonly url: string;
  private readonly ES: EventSourceFactory | null;
  private readonly poller: Poller | undefined;
  private readonly failuresBeforePolling: number;
  private readonly pollIntervalMs: number;
  private readonly backoffMinMs: number;
  private readonly backoffMaxMs: number;
  private readonly onUnauthorized: (() => void) | undefined;

  private source: EventSourceLike | null = null;
  private focusId: string | null = null;
  private lastSeq = 0; // last activity seq seen of the focused run
  private failures = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private pollTimer: ReturnType<typeof setTimeout> | null = null;
  private polling = false;
  private started = false;
  private signedOut = false; // the server said our credentials ended: wait for stop()/start()
  private _status: LiveStatus = "connecting";

  private readonly frames = new Map<string, RunFrame>();
  private system: SystemHealth | null = null;
  private readonly statusListeners = new Set<Fn<LiveStatus>>();
  private readonly frameListeners = new Set<Fn<RunFrame>>();
  private readonly activityListeners = new Set<Fn<ActivityEvent>>();
  private readonly gapListeners = new Set<Fn<GapNotice>>();
  private readonly endListeners = new Set<Fn<EndNotice>>();
  private readonly systemListeners = new Set<Fn<SystemHealth>>();

  constructor(options: LiveStreamOptions = {}) {
    this.url = options.url ?? "/api/stream";
    this.ES =
      options.EventSource !== undefined
        ? options.EventSource
        : typeof EventSource === "undefined"
          ? null
          : EventSource;
    this.poller = options.poll;
    this.failuresBeforePolling = options.failuresBeforePolling ?? 3;
    this.pollIntervalMs = options.pollIntervalMs ?? 2000;
    this.backoffMinMs = options.backoffMinMs ?? 1000;
    this.backoffMaxMs = options.backoffMaxMs ?? 15000;
    this.onUnauthorized = options.onUnauthorized;
  }

  // -- public state --------------------------------------------------------------------

  get status(): LiveStatus {
    return this._status;
  }

  get focus(): string | null {
    return this.focusId;
  }

  /** Last activity seq received for the focused run (0: none yet). */
  get lastEventSeq(): number {
    return this.lastSeq;
  }

  /** The `Last-Event-ID` this client would resume from, `X:<seq>`. */
  get lastEventId(): string | null {
    return this.focusId !== null && this.lastSeq > 0 ? `${this.focusId}:${this.lastSeq}` : null;
  }

  frame(runId: string): RunFrame | undefined {
    return this.frames.get(runId);
  }

  latestSystem(): SystemHealth | null {
    return this.system;
  }

  // -- lifecycle -----------------------------------------------------------------------

  start(): void {
    if (this.started) return;
    this.started = true;
    this.connect();
  }

  stop(): void {
    this.started = false;
    this.signedOut = false;
    this.closeSource();
    this.clearTimers();
    this.polling = false;
  }

  /**
   * Focus on run `runId` (the run detail page) or on nothing. Reconnects when it changes;
   * the resume point is per run, so switching runs starts the new run's feed fresh.
   */
  setFocus(runId: string | null): void {
    if (runId === this.focusId) return;
    this.focusId = runId;
    this.lastSeq = 0;
    if (!this.started) return;
    this.closeSource();
    this.clearReconnect();
    this.failures = 0;
    this.connect();
  }

  /**
   * Raise the resume point without receiving events, e.g. after the page loaded history
   * from REST up to `seq`: later activity at or below it is ignored as a duplicate.
   */
  markSeen(runId: string, seq: number): void {
    if (runId === this.focusId && seq > this.lastSeq) this.lastSeq = seq;
  }

  // -- subscriptions (each returns its unsubscribe) -------------------------------------

  onStatus(fn: Fn<LiveStatus>): () => void {
    return this.add(this.statusListeners, fn);
  }
  onFrame(fn: Fn<RunFrame>): () => void {
    return this.add(this.frameListeners, fn);
  }
  onActivity(fn: Fn<ActivityEvent>): () => void {
    return this.add(this.activityListeners, fn);
  }
  onGap(fn: Fn<GapNotice>): () => void {
    return this.add(this.gapListeners, fn);
  }
  onEnd(fn: Fn<EndNotice>): () => void {
    return this.add(this.endListeners, fn);
  }
  onSystem(fn: Fn<SystemHealth>): () => void {
    return this.add(this.systemListeners, fn);
  }

  private add<T>(set: Set<Fn<T>>, fn: Fn<T>): () => void {
    set.add(fn);
    return () => {
      set.delete(fn);
    };
  }

  // -- connection ----------------------------------------------------------------------

  /** The stream URL for the current focus and resume point. */
  streamUrl(): string {
    const q = new URLSearchParams();
    if (this.focusId !== null) q.set("run_id", this.focusId);
    if (this.focusId !== null && this.lastSeq > 0) {
      q.set("after_seq", String(this.lastSeq));
    }
    const text = q.toString();
    return text ? `${this.url}?${text}` : this.url;
  }

  private connect(): void {
    if (!this.started || this.signedOut) return;
    if (this.ES === null) {
      this.setStatus("offline");
      this.startPolling();
      return;
    }
    if (this._status !== "offline")
      this.setStatus(this.failures === 0 && this.lastSeq === 0 ? "connecting" : "reconnecting");
    const source = new this.ES(this.streamUrl(), { withCredentials: true });
    this.source = source;
    source.onopen = () => {
      if (source !== this.source) return;
      this.failures = 0;
      this.stopPolling();
      this.setStatus("live");
    };
    source.onerror = () => {
      if (source !== this.source) return;
      this.failures += 1;
      if (source.readyState === CLOSED || this.failures >= this.failuresBeforePolling) {
        // Closed for good (or the browser's own retries keep failing): take over.
        this.closeSource();
        this.scheduleReconnect();
      }
      if (this.failures >= this.failuresBeforePolling) {
        this.setStatus("offline");
        this.startPolling();
      } else if (source.readyState === CONNECTING || this.source === null) {
        this.setStatus("reconnecting");
      }
    };
    source.addEventListener("state", (ev) =>
      this.handle(source, ev, (d) => this.acceptFrame(d as RunFrame)),
    );
    source.addEventListener("activity", (ev) =>
      this.handle(source, ev, (d) => this.acceptActivity(d as ActivityEvent, ev.lastEventId)),
    );
    source.addEventListener("gap", (ev) =>
      this.handle(source, ev, (d) => this.gapListeners.forEach((fn) => fn(d as GapNotice))),
    );
    source.addEventListener("end", (ev) =>
      this.handle(source, ev, (d) => this.endListeners.forEach((fn) => fn(d as EndNotice))),
    );
    source.addEventListener("system", (ev) =>
      this.handle(source, ev, (d) => this.acceptSystem(d as SystemHealth)),
    );
    // Whatever its body says, an `auth` event means the server is ending this stream for good.
    source.addEventListener("auth", () => {
      if (source === this.source) this.signOut();
    });
  }

  /** The credentials this stream was opened with ended: stop, and tell the auth layer. */
  private signOut(): void {
    this.signedOut = true;
    this.closeSource();
    this.clearTimers();
    this.stopPolling();
    this.failures = 0;
    this.setStatus("unauthorized");
    this.onUnauthorized?.();
  }

  private handle(source: EventSourceLike, ev: MessageEvent, fn: (data: unknown) => void): void {
    if (source !== this.source) return; // a message from a connection we already left
    let data: unknown;
    try {
      data = JSON.parse(String(ev.data));
    } catch {
      return; // a malformed message is skipped, not fatal
    }
    fn(data);
  }

  private scheduleReconnect(): void {
    if (!this.started || this.reconnectTimer !== null) return;
    const exp = Math.max(0, this.failures - 1);
    const delay = Math.min(this.backoffMaxMs, this.backoffMinMs * 2 ** exp);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  }

  private closeSource(): void {
    if (this.source) {
      this.source.onopen = null;
      this.source.onerror = null;
      this.source.close();
      this.source = null;
    }
  }

  private clearReconnect(): void {
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }

  private clearTimers(): void {
    this.clearReconnect();
    if (this.pollTimer !== null) clearTimeout(this.pollTimer);
    this.pollTimer = null;
  }

  private setStatus(status: LiveStatus): void {
    if (status === this._status) return;
    this._status = status;
    this.statusListeners.forEach((fn) => fn(status));
  }

  // -- polling fallback ----------------------------------------------------------------

  private startPolling(): void {
    if (this.polling || !this.poller) return;
    this.polling = true;
    const round = async () => {
      if (!this.polling || !this.poller) return;
      const focus = this.focusId;
      try {
        const result = await this.poller(focus, this.lastSeq);
        if (this.polling && focus === this.focusId) {
          result.frames?.forEach((f) => this.acceptFrame(f));
          result.events?.forEach((e) => this.acceptActivity(e, null));
          if (result.system) this.acceptSystem(result.system);
        }
      } catch {
        // the server is unreachable too: keep trying at the same pace
      }
      if (this.polling) this.pollTimer = setTimeout(() => void round(), this.pollIntervalMs);
    };
    void round();
  }

  private stopPolling(): void {
    this.polling = false;
    if (this.pollTimer !== null) clearTimeout(this.pollTimer);
    this.pollTimer = null;
  }

  // -- incoming data -------------------------------------------------------------------

  private acceptFrame(frame: RunFrame): void {
    const previous = this.frames.get(frame.run_id);
    // Unfocused runs arrive with `workers` empty: keep the cards we have rather than blank them.
    if (!frame.workers) frame = { ...frame, workers: [] };
    if (previous && frame.run_id !== this.focusId && frame.workers.length === 0)
      frame = { ...frame, workers: previous.workers };
    this.frames.set(frame.run_id, frame);
    this.frameListeners.forEach((fn) => fn(frame));
  }

  private acceptActivity(event: ActivityEvent, lastEventId: string | null): void {
    if (event.run_id === this.focusId) {
      const seq = event.seq ?? seqFromId(lastEventId, this.focusId);
      if (seq !== null && seq !== undefined) {
        if (seq <= this.lastSeq) return; // replayed on resume: already shown
        this.lastSeq = seq;
      }
    }
    this.activityListeners.forEach((fn) => fn(event));
  }

  private acceptSystem(system: SystemHealth): void {
    this.system = system;
    this.systemListeners.forEach((fn) => fn(system));
  }
}
