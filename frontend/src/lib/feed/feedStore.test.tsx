import { render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { EventRow } from "../../shared/EventRow";
import { VirtualFeed } from "../../shared/VirtualFeed";
import { event } from "../../test/fixtures";
import { Ring } from "../ring";
import { FeedStore, type FeedEntry } from "./feedStore";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("Ring", () => {
  it("keeps only the newest `capacity` entries", () => {
    const ring = new Ring<number>(3);
    for (let i = 1; i <= 10; i++) ring.push(i);
    expect(ring.size).toBe(3);
    expect(ring.total).toBe(10);
    expect(ring.dropped).toBe(7);
    expect(ring.toArrayNewestFirst()).toEqual([10, 9, 8]);
    expect(ring.newest(0)).toBe(10);
    expect(ring.newest(3)).toBeUndefined();
  });

  it("rejects a capacity that is not a positive integer", () => {
    expect(() => new Ring(0)).toThrow(/capacity/);
    expect(() => new Ring(1.5)).toThrow(/capacity/);
  });
});

describe("FeedStore caps", () => {
  const caps = { all: 1000, pipeline: 200, perWorker: 50, workers: 40 };

  it("holds a bounded number of entries however many events arrive", () => {
    const feed = new FeedStore(caps);
    let seq = 0;
    const pushMany = (n: number) => {
      for (let i = 0; i < n; i++) {
        seq += 1;
        const worker = (seq % 30) + 1;
        const pipeline = seq % 5 === 0;
        feed.push(
          event({
            seq,
            worker_id: pipeline ? 0 : worker,
            action: pipeline ? "inserted" : "found",
            source_worker_id: pipeline ? worker : undefined,
            items_count: pipeline ? 3 : undefined,
          }),
        );
      }
    };
    pushMany(20_000);
    const held = feed.heldEntries;
    const bound = caps.all + caps.pipeline + caps.perWorker * caps.workers;
    expect(feed.all.size).toBe(caps.all);
    expect(feed.pipeline.size).toBe(caps.pipeline);
    expect(held).toBeLessThanOrEqual(bound);
    // The newest are kept, in order.
    const newest = feed.all.toArrayNewestFirst();
    expect(newest[0]?.kind === "event" && newest[0].event.seq).toBe(20_000);
    expect(
      newest[caps.all - 1]?.kind === "event" &&
        newest[caps.all - 1]?.kind === "event" &&
        (newest[caps.all - 1] as { event: { seq: number } }).event.seq,
    ).toBe(20_000 - caps.all + 1);
    // Per worker rings are capped too.
    expect(feed.workerRing(5)?.size).toBe(caps.perWorker);
    // Memory stays flat: another 20,000 events change nothing.
    pushMany(20_000);
    expect(feed.heldEntries).toBe(held);
    expect(feed.all.dropped).toBe(40_000 - caps.all);
  });

  it("keeps at most `caps.workers` worker rings", () => {
    const feed = new FeedStore(caps);
    for (let seq = 1; seq <= 10_000; seq++) feed.push(event({ seq, worker_id: (seq % 100) + 1 }));
    const rings = Array.from({ length: 100 }, (_, i) => feed.workerRing(i + 1)).filter(Boolean);
    expect(rings).toHaveLength(caps.workers);
    expect(feed.heldEntries).toBeLessThanOrEqual(
      caps.all + caps.pipeline + caps.workers * caps.perWorker,
    );
  });

  it("drops events it already has (replays after a reconnect, seeded history)", () => {
    const feed = new FeedStore(caps);
    feed.seed([1, 2, 3].map((seq) => event({ seq })));
    [2, 3, 4].forEach((seq) => feed.push(event({ seq })));
    const seqs = feed.all
      .toArrayNewestFirst()
      .map((e) => (e.kind === "event" ? e.event.seq : null));
    expect(seqs).toEqual([4, 3, 2, 1]);
  });

  it("puts stored history before what already arrived live", () => {
    const feed = new FeedStore(caps);
    [10, 11].forEach((seq) => feed.push(event({ seq, worker_id: 2 })));
    feed.seed([7, 8, 9, 10, 11].map((seq) => event({ seq, worker_id: 2 })));
    const seqs = (ring: FeedEntry[]) => ring.map((e) => (e.kind === "event" ? e.event.seq : null));
    expect(seqs(feed.all.toArrayNewestFirst())).toEqual([11, 10, 9, 8, 7]);
    expect(seqs(feed.workerRing(2)?.toArrayNewestFirst() ?? [])).toEqual([11, 10, 9, 8, 7]);
  });

  it("tells listeners at most once per interval, not per event", () => {
    const feed = new FeedStore(caps, 200);
    const listener = vi.fn();
    feed.subscribe(listener);
    for (let seq = 1; seq <= 500; seq++) feed.push(event({ seq }));
    expect(listener).not.toHaveBeenCalled();
    vi.advanceTimersByTime(200);
    expect(listener).toHaveBeenCalledTimes(1);
    expect(feed.getVersion()).toBe(1);
  });

  it("marks a gap the server reported", () => {
    const feed = new FeedStore(caps);
    feed.pushGap({ run_id: "run1", missed: 42, after_seq: 10 });
    render(<EventRow entry={feed.all.newest(0) as FeedEntry} />);
    expect(screen.getByTestId("feed-gap")).toHaveTextContent("42 events skipped");
  });
});

describe("a virtualised feed", () => {
  it("puts only a screenful of rows in the DOM for thousands of entries", () => {
    // jsdom has no layout: give the scroll container its CSS height.
    vi.spyOn(HTMLElement.prototype, "clientHeight", "get").mockReturnValue(400);
    vi.spyOn(HTMLElement.prototype, "clientWidth", "get").mockReturnValue(600);
    const feed = new FeedStore({ all: 5000, pipeline: 10, perWorker: 10, workers: 10 });
    for (let seq = 1; seq <= 5000; seq++) feed.push(event({ seq, task: `task ${seq}` }));
    render(
      <VirtualFeed
        source={feed.all}
        getKey={(e) => e.key}
        render={(e) => <EventRow entry={e} />}
        height={400}
        rowHeight={40}
        label="feed"
        testId="feed"
      />,
    );
    const rows = screen.getAllByTestId("feed-event");
    expect(screen.getByTestId("feed")).toHaveAttribute("data-count", "5000");
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThan(40);
    expect(rows[0]).toHaveAttribute("data-seq", "5000"); // newest first
  });

  it("shows markup in event fields as text", () => {
    const evil = "<img src=x onerror=alert(1)>";
    render(
      <EventRow
        entry={{
          kind: "event",
          key: "k",
          event: event({
            action: "error",
            task: evil,
            error_type: "parse_error",
            error_message: evil,
          }),
        }}
      />,
    );
    expect(document.querySelector("img")).toBeNull();
    expect(screen.getByTestId("feed-event")).toHaveTextContent(evil);
  });
});
