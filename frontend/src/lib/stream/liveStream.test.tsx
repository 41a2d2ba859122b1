import { act, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { LiveIndicator } from "../../shared/LiveIndicator";
import { onUnauthorized } from "../api";
import { event, frame } from "../../test/fixtures";
import type { ActivityEvent, RunFrame } from "../types";
import { LiveStream, seqFromId, type EventSourceLike, type Poller } from "./liveStream";
import { LiveStreamProvider } from "./LiveStreamProvider";
import { useRunFrame } from "./useLiveStream";

/**
 * A stand-in for the browser's EventSource: the test plays the server (open, messages,
 * errors) and reads which URLs the stream connected to.
 */
class FakeEventSource implements EventSourceLike {
  static instances: FakeEventSource[] = [];
  readyState = 0;
  onopen: ((ev: Event) => unknown) | null = null;
  onerror: ((ev: Event) => unknown) | null = null;
  closed = false;
  private listeners = new Map<string, ((ev: MessageEvent) => void)[]>();

  constructor(
    readonly url: string,
    readonly init?: EventSourceInit,
  ) {
    FakeEventSource.instances.push(this);
  }

  static get last(): FakeEventSource {
    const es = FakeEventSource.instances[FakeEventSource.instances.length - 1];
    if (!es) throw new Error("no EventSource was created");
    return es;
  }

  addEventListener(type: string, listener: (ev: MessageEvent) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  close(): void {
    this.closed = true;
    this.readyState = 2;
  }

  // -- the server's side --
  open(): void {
    this.readyState = 1;
    this.onopen?.(new Event("open"));
  }
  emit(type: string, data: unknown, id = ""): void {
    const ev = new MessageEvent(type, { data: JSON.stringify(data), lastEventId: id });
    this.listeners.get(type)?.forEach((l) => l(ev));
  }
  /** The connection dropped and the browser retries on its own (readyState CONNECTING). */
  drop(): void {
    this.readyState = 0;
    this.onerror?.(new Event("error"));
  }
  /** The connection failed for good (readyState CLOSED): the browser will not retry. */
  fail(): void {
    this.readyState = 2;
    this.onerror?.(new Event("error"));
  }
}

function activity(
  es: FakeEventSource,
  run: string,
  seq: number,
  extra: Partial<ActivityEvent> = {},
): void {
  es.emit("activity", event({ run_id: run, seq, ...extra }), `${run}:${seq}`);
}

function urlOf(es: FakeEventSource): URL {
  return new URL(es.url, "http://dash.test");
}

function makeStream(poll?: Poller) {
  const stream = new LiveStream({
    EventSource: FakeEventSource,
    poll,
    failuresBeforePolling: 3,
    pollIntervalMs: 1000,
    backoffMinMs: 500,
    backoffMaxMs: 4000,
  });
  const seen: number[] = [];
  const statuses: string[] = [];
  stream.onActivity((e) => seen.push(e.seq ?? -1));
  stream.onStatus((s) => statuses.push(s));
  return { stream, seen, statuses };
}

beforeEach(() => {
  FakeEventSource.instances = [];
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("seqFromId", () => {
  it("reads X:<seq> for the focused run and bare seqs", () => {
    expect(seqFromId("run1:42", "run1")).toBe(42);
    expect(seqFromId("other:42", "run1")).toBeNull();
    expect(seqFromId("17", null)).toBe(17);
    expect(seqFromId("", "run1")).toBeNull();
    expect(seqFromId("run1:x", "run1")).toBeNull();
  });
});

describe("LiveStream", () => {
  it("opens one connection focused on the run and goes live", () => {
    const { stream, statuses } = makeStream();
    stream.setFocus("run1");
    stream.start();
    expect(FakeEventSource.instances).toHaveLength(1);
    const url = urlOf(FakeEventSource.last);
    expect(url.pathname).toBe("/api/stream");
    expect(url.searchParams.get("run_id")).toBe("run1");
    expect(url.searchParams.has("after_seq")).toBe(false);
    expect(FakeEventSource.last.init?.withCredentials).toBe(true);
    expect(stream.status).toBe("connecting");
    FakeEventSource.last.open();
    expect(stream.status).toBe("live");
    expect(statuses).toEqual(["live"]);
  });

  it("tracks the Last-Event-ID of the focused run", () => {
    const { stream, seen } = makeStream();
    stream.setFocus("run1");
    stream.start();
    const es = FakeEventSource.last;
    es.open();
    activity(es, "run1", 1);
    activity(es, "run1", 2);
    activity(es, "run1", 3);
    expect(seen).toEqual([1, 2, 3]);
    expect(stream.lastEventId).toBe("run1:3");
    // Lifecycle events of other runs pass through but do not move the resume point.
    activity(es, "run2", 99, { action: "run_started" });
    expect(stream.lastEventId).toBe("run1:3");
    // The id alone is enough when the event body has no seq.
    es.emit("activity", event({ run_id: "run1" }), "run1:4");
    expect(stream.lastEventId).toBe("run1:4");
  });

  it("lets the browser retry a dropped connection (it sends Last-Event-ID itself)", () => {
    const { stream, statuses } = makeStream();
    stream.setFocus("run1");
    stream.start();
    const es = FakeEventSource.last;
    es.open();
    activity(es, "run1", 5);
    es.drop();
    expect(stream.status).toBe("reconnecting");
    vi.advanceTimersByTime(10_000);
    // No second EventSource: the native one is reconnecting with the header.
    expect(FakeEventSource.instances).toHaveLength(1);
    expect(es.closed).toBe(false);
    es.open();
    expect(stream.status).toBe("live");
    expect(statuses).toEqual(["live", "reconnecting", "live"]);
  });

  it("reopens a closed connection itself, resuming after the last seq without duplicates", () => {
    const { stream, seen } = makeStream();
    stream.setFocus("run1");
    stream.start();
    const first = FakeEventSource.last;
    first.open();
    [1, 2, 3].forEach((seq) => activity(first, "run1", seq));
    first.fail();
    expect(first.closed).toBe(true);
    expect(stream.status).toBe("reconnecting");
    expect(FakeEventSource.instances).toHaveLength(1);
    vi.advanceTimersByTime(499);
    expect(FakeEventSource.instances).toHaveLength(1); // backoff first
    vi.advanceTimersByTime(1);
    expect(FakeEventSource.instances).toHaveLength(2);
    const second = FakeEventSource.last;
    const url = urlOf(second);
    expect(url.searchParams.get("run_id")).toBe("run1");
    expect(url.searchParams.get("after_seq")).toBe("3");
    second.open();
    // A server replaying from a little earlier must not duplicate rows.
    [2, 3, 4, 5].forEach((seq) => activity(second, "run1", seq));
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    // Messages from the abandoned connection are ignored.
    activity(first, "run1", 6);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(stream.status).toBe("live");
  });

  it("backs off exponentially between failed attempts", () => {
    const { stream } = makeStream();
    stream.setFocus("run1");
    stream.start();
    FakeEventSource.last.fail(); // failure 1 -> 500 ms
    vi.advanceTimersByTime(500);
    expect(FakeEventSource.instances).toHaveLength(2);
    FakeEventSource.last.fail(); // failure 2 -> 1000 ms
    vi.advanceTimersByTime(999);
    expect(FakeEventSource.instances).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(FakeEventSource.instances).toHaveLength(3);
  });

  it("falls back to polling REST after repeated failures and stops once SSE is back", async () => {
    const polled: [string | null, number][] = [];
    const poll: Poller = (focus, after) => {
      polled.push([focus, after]);
      return Promise.resolve({
        frames: [frame({ run_id: "run1", last_seq: 9, status: "paused" })],
        events: [event({ run_id: "run1", seq: after + 1 })],
      });
    };
    const { stream, seen } = makeStream(poll);
    const frames: RunFrame[] = [];
    stream.onFrame((f) => frames.push(f));
    stream.setFocus("run1");
    stream.start();
    FakeEventSource.last.open();
    activity(FakeEventSource.last, "run1", 7);
    FakeEventSource.last.fail(); // 1
    await vi.advanceTimersByTimeAsync(500);
    FakeEventSource.last.fail(); // 2
    await vi.advanceTimersByTimeAsync(1000);
    expect(stream.status).toBe("reconnecting");
    expect(polled).toHaveLength(0);
    FakeEventSource.last.fail(); // 3: give up on SSE for now
    expect(stream.status).toBe("offline");
    await vi.advanceTimersByTimeAsync(0);
    expect(polled).toEqual([["run1", 7]]);
    expect(frames.at(-1)?.status).toBe("paused");
    expect(seen).toEqual([7, 8]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(polled).toEqual([
      ["run1", 7],
      ["run1", 8],
    ]);
    // SSE keeps being retried in the background; the next open ends polling.
    await vi.advanceTimersByTimeAsync(2000);
    const retry = FakeEventSource.last;
    expect(FakeEventSource.instances.length).toBeGreaterThanOrEqual(4);
    // It resumes after what polling already delivered (8 or later), not after 7.
    const resume = Number(urlOf(retry).searchParams.get("after_seq"));
    expect(resume).toBeGreaterThanOrEqual(8);
    expect(resume).toBeLessThanOrEqual(stream.lastEventSeq);
    retry.open();
    expect(stream.status).toBe("live");
    const count = polled.length;
    await vi.advanceTimersByTimeAsync(5000);
    expect(polled).toHaveLength(count);
  });

  it("polls at once when the browser has no EventSource", async () => {
    const poll = vi.fn<Poller>(() => Promise.resolve({}));
    const stream = new LiveStream({ EventSource: null, poll, pollIntervalMs: 1000 });
    stream.start();
    expect(stream.status).toBe("offline");
    await vi.advanceTimersByTimeAsync(0);
    expect(poll).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(poll).toHaveBeenCalledTimes(2);
    stream.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(poll).toHaveBeenCalledTimes(2);
  });

  it("starts the new run's feed fresh when the focus changes", () => {
    const { stream } = makeStream();
    stream.setFocus("run1");
    stream.start();
    const first = FakeEventSource.last;
    first.open();
    activity(first, "run1", 50);
    stream.setFocus("run2");
    expect(first.closed).toBe(true);
    const url = urlOf(FakeEventSource.last);
    expect(url.searchParams.get("run_id")).toBe("run2");
    expect(url.searchParams.has("after_seq")).toBe(false);
    expect(stream.lastEventId).toBeNull();
  });

  it("keeps worker cards of unfocused runs when their compact frames arrive", () => {
    const { stream } = makeStream();
    stream.start();
    const es = FakeEventSource.last;
    es.open();
    es.emit(
      "state",
      frame({ run_id: "a", workers: [{ worker_id: 1, state: "requesting" }], last_seq: 1 }),
    );
    es.emit("state", frame({ run_id: "a", workers: [], last_seq: 2 }));
    expect(stream.frame("a")?.last_seq).toBe(2);
    expect(stream.frame("a")?.workers).toHaveLength(1);
  });

  it("skips a malformed message instead of failing", () => {
    const { stream, seen } = makeStream();
    stream.setFocus("run1");
    stream.start();
    const es = FakeEventSource.last;
    es.open();
    const bad = new MessageEvent("activity", { data: "{not json" });
    (es as unknown as { listeners: Map<string, ((ev: MessageEvent) => void)[]> }).listeners
      .get("activity")
      ?.forEach((l) => l(bad));
    activity(es, "run1", 1);
    expect(seen).toEqual([1]);
  });
});

describe("a stream the server ends for lost credentials", () => {
  const AUTH_END = {
    error: { code: "unauthorized", message: "the token this stream was opened with was revoked" },
  };

  it("stops for good on the final auth event: no reconnect, no polling, one notice", async () => {
    const poll = vi.fn<Poller>(() => Promise.resolve({}));
    const signedOut = vi.fn();
    const stream = new LiveStream({
      EventSource: FakeEventSource,
      poll,
      failuresBeforePolling: 1,
      backoffMinMs: 100,
      onUnauthorized: signedOut,
    });
    const statuses: string[] = [];
    stream.onStatus((s) => statuses.push(s));
    stream.setFocus("run1");
    stream.start();
    const es = FakeEventSource.last;
    es.open();
    activity(es, "run1", 3);
    es.emit("auth", AUTH_END);
    // The server closes the connection right after; a browser would retry on its own.
    es.drop();
    expect(es.closed).toBe(true);
    expect(stream.status).toBe("unauthorized");
    expect(statuses).toEqual(["live", "unauthorized"]);
    expect(signedOut).toHaveBeenCalledTimes(1);

    stream.setFocus("run2"); // navigating meanwhile must not reconnect either
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeEventSource.instances).toHaveLength(1);
    expect(poll).not.toHaveBeenCalled();
    expect(signedOut).toHaveBeenCalledTimes(1);

    // After a new login the provider stops and starts the stream: it connects again.
    stream.stop();
    stream.start();
    expect(FakeEventSource.instances).toHaveLength(2);
    FakeEventSource.last.open();
    expect(stream.status).toBe("live");
  });

  it("ignores an auth event of a connection it already left", () => {
    const signedOut = vi.fn();
    const stream = new LiveStream({ EventSource: FakeEventSource, onUnauthorized: signedOut });
    stream.start();
    const old = FakeEventSource.last;
    stream.setFocus("run1"); // reconnects; the old connection is closed
    old.emit("auth", AUTH_END);
    expect(signedOut).not.toHaveBeenCalled();
    expect(stream.status).toBe("connecting");
    expect(FakeEventSource.instances).toHaveLength(2);
  });

  it("tells the auth layer through the provider, like any 401", () => {
    const notices = vi.fn();
    const off = onUnauthorized(notices);
    try {
      render(
        <LiveStreamProvider
          options={{ EventSource: FakeEventSource, poll: () => Promise.resolve({}) }}
        >
          <LiveIndicator />
        </LiveStreamProvider>,
      );
      act(() => FakeEventSource.last.open());
      act(() => FakeEventSource.last.emit("auth", AUTH_END));
      expect(notices).toHaveBeenCalledTimes(1);
      expect(screen.getByTestId("live-indicator")).toHaveAttribute("data-status", "unauthorized");
    } finally {
      off();
    }
  });
});

describe("the React hooks over one shared stream", () => {
  function FrameStatus({ runId }: { runId: string }) {
    const f = useRunFrame(runId);
    return <span data-testid={`frame-${runId}`}>{f ? `${f.status}@${f.last_seq}` : "none"}</span>;
  }

  it("shows live / reconnecting / offline and frames from a single connection", async () => {
    const stream = new LiveStream({
      EventSource: FakeEventSource,
      poll: () => Promise.resolve({}),
      failuresBeforePolling: 2,
      backoffMinMs: 100,
    });
    render(
      <LiveStreamProvider stream={stream}>
        <LiveIndicator />
        <FrameStatus runId="r1" />
        <FrameStatus runId="r2" />
      </LiveStreamProvider>,
    );
    expect(FakeEventSource.instances).toHaveLength(1); // one connection for all consumers
    const indicator = screen.getByTestId("live-indicator");
    expect(indicator).toHaveTextContent("connecting");
    act(() => FakeEventSource.last.open());
    expect(indicator).toHaveTextContent("live");
    expect(indicator).toHaveAttribute("data-status", "live");
    act(() =>
      FakeEventSource.last.emit("state", frame({ run_id: "r1", status: "running", last_seq: 4 })),
    );
    expect(screen.getByTestId("frame-r1")).toHaveTextContent("running@4");
    expect(screen.getByTestId("frame-r2")).toHaveTextContent("none");
    act(() => FakeEventSource.last.drop());
    expect(indicator).toHaveTextContent("reconnecting");
    act(() => FakeEventSource.last.drop());
    expect(indicator).toHaveTextContent("offline");
    await act(async () => {
      await vi.advanceTimersByTimeAsync(200);
    });
    act(() => FakeEventSource.last.open());
    expect(indicator).toHaveTextContent("live");
  });

  it("re-renders from frames at most every minIntervalMs, always with the newest", () => {
    let renders = 0;
    function Throttled() {
      const f = useRunFrame("r1", 400);
      renders += 1;
      return <span data-testid="throttled">{f ? f.last_seq : "none"}</span>;
    }
    const stream = new LiveStream({
      EventSource: FakeEventSource,
      poll: () => Promise.resolve({}),
    });
    render(
      <LiveStreamProvider stream={stream}>
        <Throttled />
      </LiveStreamProvider>,
    );
    act(() => FakeEventSource.last.open());
    const shown = screen.getByTestId("throttled");
    const before = renders;
    act(() => FakeEventSource.last.emit("state", frame({ run_id: "r1", last_seq: 1 })));
    expect(shown).toHaveTextContent("1"); // the first frame at once
    act(() => {
      FakeEventSource.last.emit("state", frame({ run_id: "r1", last_seq: 2 }));
      FakeEventSource.last.emit("state", frame({ run_id: "r2", last_seq: 9 }));
      FakeEventSource.last.emit("state", frame({ run_id: "r1", last_seq: 3 }));
    });
    expect(shown).toHaveTextContent("1");
    act(() => {
      vi.advanceTimersByTime(400);
    });
    expect(shown).toHaveTextContent("3");
    expect(renders - before).toBe(2);
  });
});
