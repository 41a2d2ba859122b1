import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { WORKER_STATES, type WorkerCard } from "../lib/types";
import * as badges from "../shared/badges";
import { card, frame } from "../test/fixtures";
import { WorkerCardView } from "./WorkerCardView";
import type { RunProcesses } from "./processBlocks";
import { COMPACT_FROM, WorkerGrid } from "./WorkerGrid";

// Count renders of the card's body through the badge it always renders.
const badgeRenders = vi.hoisted(() => ({ count: 0 }));
vi.mock("../shared/badges", async (importOriginal) => {
  const original = await importOriginal<typeof badges>();
  return {
    ...original,
    WorkerStateBadge: (props: { state: string }) => {
      badgeRenders.count += 1;
      return original.WorkerStateBadge(props);
    },
  };
});

const LABELS: Record<string, string> = {
  idle: "idle",
  waiting: "waiting",
  requesting: "requesting",
  processing: "processing",
  rate_limited: "rate limited",
  backing_off: "backing off",
  error: "error",
  paused: "paused",
  complete: "complete",
};

const LONG_MESSAGE = `HTTP 500 from the offers API: ${"x".repeat(150)}`;

function busyCard(worker_id: number, state: WorkerCard["state"]): WorkerCard {
  return card({
    worker_id,
    state,
    phase: "sellers",
    task: `sellers of ${worker_id}, 25.00-100.00`,
    category: "Garden / Lamps 3",
    item: "Turbo Lamp 238",
    url: `http://127.0.0.1:9/api/offers?product=${worker_id}&page=2&min_price=25.00&max_price=100.00&sort=price`,
    params: { product: worker_id, page: 2 },
    attempt: 2,
    request_started_at: new Date(Date.now() - 3500).toISOString(),
    last_error_type: "http_5xx",
    last_error_message: LONG_MESSAGE,
    requests: 150,
    successes: 140,
    success_rate: 140 / 150,
    avg_ms: 96,
    items: 209,
    new_items: 30,
    errors: 8,
  });
}

describe("worker cards from a state frame", () => {
  const state = frame({ workers: WORKER_STATES.map((s, i) => busyCard(i + 1, s)) });

  it("renders one card per worker with state shown by colour, icon and label", () => {
    render(<WorkerGrid workers={state.workers} selected={null} onSelect={() => {}} />);
    const cards = screen.getAllByTestId("worker-card");
    expect(cards).toHaveLength(WORKER_STATES.length);
    WORKER_STATES.forEach((s, i) => {
      const el = cards[i] as HTMLElement;
      expect(el).toHaveAttribute("data-state", s);
      expect(el.style.getPropertyValue("--c")).toBe(`var(--c-${s})`);
      const badge = within(el).getByTestId("worker-state");
      expect(badge).toHaveTextContent(LABELS[s] as string); // the label, not colour alone
      expect(badge.querySelector("svg")).not.toBeNull(); // and an icon
      expect(el).toHaveAccessibleName(new RegExp(`Worker ${i + 1}, ${LABELS[s]}`));
    });
  });

  it.each(WORKER_STATES)(
    "a %s card shows task, context, URL, params, attempt and counters",
    (s) => {
      const c = busyCard(3, s);
      render(<WorkerCardView card={c} selected={false} onSelect={() => {}} />);
      const el = screen.getByTestId("worker-card");
      expect(within(el).getByTestId("worker-task")).toHaveTextContent("sellers of 3, 25.00-100.00");
      expect(el).toHaveTextContent("Garden / Lamps 3 › Turbo Lamp 238");
      const url = within(el).getByTestId("worker-url");
      expect(url).toHaveAttribute("title", c.url); // full URL on hover
      expect(el).toHaveTextContent("product=3, page=2");
      expect(el).toHaveTextContent("attempt 2");
      const counters = within(el).getByTestId("worker-counters");
      expect(counters).toHaveTextContent("150 req");
      expect(counters).toHaveTextContent("93.3% ok");
      expect(counters).toHaveTextContent("96 ms");
      expect(counters).toHaveTextContent("209/30 items");
      expect(counters).toHaveTextContent("8 err");
      // Elapsed time only while a request is in flight.
      if (s === "requesting")
        expect(within(el).getByTestId("worker-elapsed").textContent).toMatch(/^\d+(\.\d)?s$/);
      else expect(within(el).queryByTestId("worker-elapsed")).toBeNull();
      // The last error only on an error card: cut to 100 characters, full text on hover.
      const error = el.querySelector(".wc-error");
      if (s === "error") {
        expect(error).not.toBeNull();
        expect(error).toHaveAttribute("title", LONG_MESSAGE);
        expect(error?.textContent?.length).toBeLessThan(LONG_MESSAGE.length);
        expect(error?.textContent).toContain("…");
      } else {
        expect(error).toBeNull();
      }
    },
  );

  it.each([
    ["rate_limit", "the site's rate limit"],
    ["retry_after", "a Retry-After hold"],
    ["breaker", "the open circuit breaker"],
    ["concurrency", "a free connection slot"],
    ["something_new", "something new"],
  ])("a worker waiting for %s says for what, where and for how long", (reason, label) => {
    const since = new Date(Date.now() - 2500).toISOString();
    render(
      <WorkerCardView
        card={card({
          worker_id: 4,
          state: "waiting",
          state_since: since,
          waiting_for: reason,
          site: "127.0.0.1:8001",
          task: "product 17",
          url: "http://127.0.0.1:8001/p/17",
        })}
        selected={false}
        onSelect={() => {}}
      />,
    );
    const el = screen.getByTestId("worker-card");
    expect(el).toHaveAttribute("data-state", "waiting");
    expect(within(el).getByTestId("worker-state")).toHaveTextContent("waiting");
    const waiting = within(el).getByTestId("worker-waiting");
    expect(waiting).toHaveAttribute("data-for", reason);
    expect(waiting).toHaveTextContent(`for ${label} of 127.0.0.1:8001`);
    expect(within(el).getByTestId("worker-waiting-elapsed").textContent).toMatch(/^2\.\ds$/);
    expect(within(el).getByTestId("worker-task")).toHaveTextContent("product 17"); // not "no task"
    expect(el).toHaveAccessibleName(`Worker 4, waiting for ${label}, product 17`);
  });

  it("only a waiting worker shows what it waits for", () => {
    for (const state of WORKER_STATES.filter((s) => s !== "waiting")) {
      const { unmount } = render(
        <WorkerCardView
          card={card({ worker_id: 1, state, waiting_for: "rate_limit" })}
          selected={false}
          onSelect={() => {}}
        />,
      );
      expect(screen.queryByTestId("worker-waiting")).toBeNull();
      unmount();
    }
  });

  it("says how much of its last task was spent waiting", () => {
    const view = (c: WorkerCard) => (
      <WorkerCardView card={c} selected={false} onSelect={() => {}} />
    );
    const { rerender } = render(
      view(card({ worker_id: 2, state: "idle", last_task_ms: 502.4, last_wait_ms: 480.2 })),
    );
    expect(screen.getByTestId("worker-last-wait")).toHaveTextContent(
      "last task 502 ms, 480 ms of it waiting",
    );
    // A task that did not wait: nothing to explain.
    rerender(view(card({ worker_id: 2, state: "idle", last_task_ms: 3 })));
    expect(screen.queryByTestId("worker-last-wait")).toBeNull();
    // Compact cards (many workers) leave it to the detail panel.
    render(
      <WorkerCardView
        card={card({ worker_id: 3, state: "idle", last_task_ms: 502, last_wait_ms: 480 })}
        selected={false}
        compact
        onSelect={() => {}}
      />,
    );
    expect(screen.queryByTestId("worker-last-wait")).toBeNull();
  });

  it("renders scraped text as text, never as markup", () => {
    const evil = "<img src=x onerror=alert(1)>";
    render(
      <WorkerCardView
        card={card({
          worker_id: 1,
          state: "processing",
          task: evil,
          item: evil,
          url: `http://x/?q=${evil}`,
        })}
        selected={false}
        onSelect={() => {}}
      />,
    );
    expect(document.querySelector("img")).toBeNull();
    expect(screen.getByTestId("worker-task")).toHaveTextContent(evil);
  });

  it("switches to compact cards for many workers and keeps every card", () => {
    const many = Array.from({ length: 50 }, (_, i) => busyCard(i + 1, "requesting"));
    render(<WorkerGrid workers={many} selected={null} onSelect={() => {}} />);
    expect(screen.getAllByTestId("worker-card")).toHaveLength(50);
    expect(screen.getByTestId("worker-grid")).toHaveClass("compact");
    expect(50).toBeGreaterThanOrEqual(COMPACT_FROM);
  });

  it("is a button: click and keyboard select the worker", async () => {
    const onSelect = vi.fn();
    render(<WorkerCardView card={busyCard(7, "idle")} selected={false} onSelect={onSelect} />);
    const el = screen.getByTestId("worker-card");
    expect(el.tagName).toBe("BUTTON");
    expect(el).toHaveAttribute("aria-expanded", "false");
    await userEvent.click(el);
    el.focus();
    await userEvent.keyboard("{Enter}");
    expect(onSelect).toHaveBeenCalledTimes(2);
    expect(onSelect).toHaveBeenCalledWith(7);
  });

  it("does not re-render for an equal card from a newer frame", () => {
    const onSelect = () => {};
    const base = busyCard(1, "processing");
    const view = (c: WorkerCard) => (
      <WorkerCardView card={c} selected={false} onSelect={onSelect} />
    );
    badgeRenders.count = 0;
    const { rerender } = render(view(base));
    expect(badgeRenders.count).toBe(1);
    // A new object with the same content (every frame carries fresh objects): skipped.
    rerender(view({ ...base, params: { ...base.params } }));
    expect(badgeRenders.count).toBe(1);
    // A real change renders.
    rerender(view({ ...base, requests: 151 }));
    expect(badgeRenders.count).toBe(2);
    expect(screen.getByTestId("worker-counters")).toHaveTextContent("151 req");
  });

  it("marks the workers the run's stalled set names, re-rendering only those", () => {
    const workers = [busyCard(1, "processing"), busyCard(2, "requesting"), busyCard(3, "idle")];
    const onSelect = () => {};
    badgeRenders.count = 0;
    const { rerender } = render(
      <WorkerGrid workers={workers} selected={null} onSelect={onSelect} />,
    );
    expect(badgeRenders.count).toBe(3);
    expect(screen.queryAllByTestId("worker-stalled")).toHaveLength(0);
    // Worker 2 gets an open worker_stalled alert (labels.worker is text): only its card renders.
    rerender(
      <WorkerGrid
        workers={workers.map((w) => ({ ...w }))}
        selected={null}
        onSelect={onSelect}
        stalled={new Set(["2"])}
      />,
    );
    expect(badgeRenders.count).toBe(4);
    const marked = screen.getAllByTestId("worker-stalled");
    expect(marked).toHaveLength(1);
    const cardEl = marked[0]?.closest("[data-testid=worker-card]");
    expect(cardEl).toHaveAttribute("data-worker", "2");
    expect(cardEl).toHaveAttribute("data-stalled", "true");
    expect(cardEl).toHaveAccessibleName(/Worker 2, requesting, stalled/);
  });
});

describe("worker cards of a distributed run", () => {
  const heard = Date.parse("2026-12-04T10:01:00.000Z");
  const since = (s: number) => new Date(heard - s * 1000).toISOString();
  const processes: RunProcesses = {
    blocks: [
      { name: "worker-a", first: 1, last: 2, live: true },
      { name: "worker-b", first: 3, last: 4, live: false },
    ],
    hadLive: true,
    heardAt: heard,
  };
  const workers = [
    { ...busyCard(1, "requesting"), state_since: since(30) },
    { ...busyCard(3, "requesting"), state_since: since(30) },
    { ...busyCard(4, "idle"), state_since: since(30) },
  ];

  it("names each card's process and marks the busy cards of a gone process", () => {
    render(
      <WorkerGrid
        workers={workers}
        selected={null}
        onSelect={() => {}}
        processes={processes}
        active
      />,
    );
    const [w1, w3, w4] = screen.getAllByTestId<HTMLElement>("worker-card");
    expect(within(w1!).getByTestId("worker-process-name")).toHaveTextContent("worker-a");
    expect(w1).not.toHaveAttribute("data-gone");
    expect(within(w1!).getByTestId("worker-state")).toHaveTextContent("requesting");
    expect(within(w1!).getByTestId("worker-elapsed")).toBeInTheDocument();
    // Worker 3 was worker-b's, which left: "process gone" instead of a requesting badge
    // and a clock that would tick for ever; its last state is in the label.
    expect(within(w3!).getByTestId("worker-process-name")).toHaveTextContent("worker-b");
    expect(w3).toHaveAttribute("data-gone", "true");
    expect(within(w3!).getByTestId("worker-gone")).toHaveTextContent("process gone");
    expect(within(w3!).queryByTestId("worker-state")).toBeNull();
    expect(within(w3!).queryByTestId("worker-elapsed")).toBeNull();
    expect(w3).toHaveAccessibleName(/Worker 3 of worker-b, process gone \(last requesting\)/);
    // An idle card of the gone process claims nothing: it stays as it is.
    expect(w4).not.toHaveAttribute("data-gone");
    expect(within(w4!).getByTestId("worker-state")).toHaveTextContent("idle");
  });

  it("marks nothing once the run ended, and looks as before without processes", () => {
    const { rerender } = render(
      <WorkerGrid
        workers={workers}
        selected={null}
        onSelect={() => {}}
        processes={processes}
        active={false}
      />,
    );
    expect(screen.queryAllByTestId("worker-gone")).toHaveLength(0);
    rerender(<WorkerGrid workers={workers} selected={null} onSelect={() => {}} active />);
    expect(screen.queryAllByTestId("worker-gone")).toHaveLength(0);
    expect(screen.queryAllByTestId("worker-process-name")).toHaveLength(0);
    for (const el of screen.getAllByTestId("worker-card")) {
      expect(el).not.toHaveAttribute("data-process");
    }
  });

  it("re-renders only the cards whose process or mark changed", () => {
    const onSelect = () => {};
    const live = [workers[0]!, { ...busyCard(2, "processing"), state_since: since(30) }];
    const grid = (p: RunProcesses) => (
      <WorkerGrid
        workers={live.map((w) => ({ ...w }))}
        selected={null}
        onSelect={onSelect}
        processes={p}
        active
      />
    );
    badgeRenders.count = 0;
    const { rerender } = render(grid(processes));
    expect(badgeRenders.count).toBe(2);
    // A new answer, same blocks: nothing renders again.
    rerender(grid({ ...processes, heardAt: heard + 5000 }));
    expect(badgeRenders.count).toBe(2);
    // Worker 2 moves to another process (its block is listed under a new name): only it.
    rerender(
      grid({
        ...processes,
        blocks: [
          { name: "worker-a", first: 1, last: 1, live: true },
          { name: "worker-c", first: 2, last: 2, live: true },
        ],
      }),
    );
    expect(badgeRenders.count).toBe(3);
    expect(screen.getAllByTestId("worker-process-name").map((el) => el.textContent)).toEqual([
      "worker-a",
      "worker-c",
    ]);
  });
});
