import { QueryClientProvider } from "@tanstack/react-query";
import { act, renderHook, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { makeQueryClient } from "../lib/queryClient";
import type { WorkerPresence } from "../lib/types";
import { card } from "../test/fixtures";
import {
  blockOf,
  GONE_GRACE_MS,
  isGone,
  liveBlocks,
  mergeBlocks,
  newestAnnouncement,
  type RunProcesses,
} from "./processBlocks";
import { useRunProcesses } from "./useRunProcesses";

const T0 = Date.parse("2026-12-04T10:00:00.000Z");
const at = (ms: number) => new Date(T0 + ms).toISOString();

function presence(name: string, blocks: [string, number, number][], seenMs = 0): WorkerPresence {
  return {
    name,
    host: "h",
    pid: 1,
    slots: 2,
    busy: 2,
    runs: blocks.map(([run]) => run),
    tasks_done: 0,
    taken_over: 0,
    started_at: at(-60_000),
    seen_at: at(seenMs),
    blocks: blocks.map(([run_id, first, last]) => ({ run_id, first, last })),
  };
}

describe("the blocks of a run", () => {
  it("takes each live process's block of this run only, by first id", () => {
    const blocks = liveBlocks(
      [
        presence("b", [["r1", 3, 4]]),
        presence("a", [
          ["r2", 1, 2],
          ["r1", 1, 2],
        ]),
      ],
      "r1",
    );
    expect(blocks).toEqual([
      { name: "a", first: 1, last: 2, live: true },
      { name: "b", first: 3, last: 4, live: true },
    ]);
  });

  it("remembers a block that left the list, until a live block covers its ids", () => {
    const first = liveBlocks([presence("a", [["r1", 1, 2]]), presence("b", [["r1", 3, 4]])], "r1");
    const afterKill = mergeBlocks(first, liveBlocks([presence("a", [["r1", 1, 2]])], "r1"));
    expect(afterKill).toEqual([
      { name: "a", first: 1, last: 2, live: true },
      { name: "b", first: 3, last: 4, live: false },
    ]);
    const processes: RunProcesses = { blocks: afterKill, hadLive: true, heardAt: T0 };
    expect(blockOf(processes, 2)?.name).toBe("a");
    expect(blockOf(processes, 4)).toEqual({ name: "b", first: 3, last: 4, live: false });
    expect(blockOf(processes, 5)).toBeUndefined();
    // A resumed run hands out ids again: the live holder wins over the remembered one.
    const again = mergeBlocks(afterKill, liveBlocks([presence("c", [["r1", 3, 6]])], "r1"));
    expect(again.map((b) => [b.name, b.live])).toEqual([
      ["c", true],
      ["a", false],
    ]);
  });

  it("dates the list by its newest announcement, or by when it was read if empty", () => {
    expect(newestAnnouncement([presence("a", [], 1000), presence("b", [], 4000)], 0)).toBe(
      T0 + 4000,
    );
    expect(newestAnnouncement([], 1234)).toBe(1234);
  });
});

describe("a card whose process is gone", () => {
  const processes: RunProcesses = {
    blocks: [
      { name: "a", first: 1, last: 2, live: true },
      { name: "b", first: 3, last: 4, live: false },
    ],
    hadLive: true,
    heardAt: T0,
  };
  const old = at(-GONE_GRACE_MS - 1);

  it("is busy, in no live block, and older than the grace before the newest announcement", () => {
    for (const state of ["waiting", "requesting", "processing", "rate_limited", "backing_off"]) {
      expect(isGone(card({ worker_id: 3, state, state_since: old }), processes, true)).toBe(true);
    }
    // An id no process ever listed (here: taken after the last announcement) counts too.
    expect(
      isGone(card({ worker_id: 9, state: "requesting", state_since: old }), processes, true),
    ).toBe(true);
  });

  it("is not: live block, idle/finished state, young state, ended run, no process ever", () => {
    const gone = (partial: Parameters<typeof card>[0], p = processes, active = true) =>
      isGone(card({ state: "requesting", state_since: old, ...partial }), p, active);
    expect(gone({ worker_id: 1 })).toBe(false);
    for (const state of ["idle", "error", "paused", "complete"]) {
      expect(gone({ worker_id: 3, state })).toBe(false);
    }
    // A block taken just before the last announcement is listed only at the next one.
    expect(gone({ worker_id: 9, state_since: at(-GONE_GRACE_MS + 1) })).toBe(false);
    expect(gone({ worker_id: 3, state_since: undefined })).toBe(false);
    expect(gone({ worker_id: 3 }, processes, false)).toBe(false);
    expect(gone({ worker_id: 3 }, { blocks: [], hadLive: false, heardAt: T0 })).toBe(false);
  });
});

function json(body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status: 200,
    headers: { "Content-Type": "application/json" },
  });
}

afterEach(() => vi.unstubAllGlobals());

describe("useRunProcesses", () => {
  function setup(answers: unknown[]) {
    const fetchMock = vi.fn(() => Promise.resolve(json(answers.shift())));
    vi.stubGlobal("fetch", fetchMock);
    const client = makeQueryClient();
    const wrapper = ({ children }: { children: ReactNode }) => (
      <QueryClientProvider client={client}>{children}</QueryClientProvider>
    );
    return { fetchMock, client, wrapper };
  }

  it("maps the run's worker ids to processes and remembers a process that left", async () => {
    const two = [
      presence("a", [["r1", 1, 2]], 0),
      presence(
        "b",
        [
          ["r1", 3, 4],
          ["r2", 1, 4],
        ],
        0,
      ),
    ];
    const { client, wrapper, fetchMock } = setup([
      { work_queue: "redis", lease_s: 10, workers: two },
      { work_queue: "redis", lease_s: 10, workers: [presence("a", [["r1", 1, 2]], 20_000)] },
    ]);
    const { result } = renderHook(() => useRunProcesses("r1", true), { wrapper });
    await waitFor(() => expect(result.current).toBeDefined());
    expect(String((fetchMock.mock.calls[0] as unknown[])[0])).toBe("/api/health/workers");
    expect(result.current?.blocks.map((b) => [b.name, b.first, b.last, b.live])).toEqual([
      ["a", 1, 2, true],
      ["b", 3, 4, true],
    ]);
    expect(result.current?.hadLive).toBe(true);
    const busy3 = card({ worker_id: 3, state: "requesting", state_since: at(1000) });
    expect(isGone(busy3, result.current!, true)).toBe(false);

    // b was killed: the next answer lists a only, 20 s on.
    await act(() => client.refetchQueries({ queryKey: ["worker-processes"] }));
    await waitFor(() => expect(result.current?.heardAt).toBe(T0 + 20_000));
    expect(blockOf(result.current!, 3)).toEqual({ name: "b", first: 3, last: 4, live: false });
    expect(isGone(busy3, result.current!, true)).toBe(true);
  });

  it("is undefined for a local work queue and asks nothing for an ended run", async () => {
    const local = setup([{ work_queue: "local", lease_s: 10, workers: [] }]);
    const { result } = renderHook(() => useRunProcesses("r1", true), { wrapper: local.wrapper });
    await waitFor(() => expect(local.fetchMock).toHaveBeenCalledTimes(1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(result.current).toBeUndefined();

    const ended = setup([]);
    const after = renderHook(() => useRunProcesses("r1", false), { wrapper: ended.wrapper });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ended.fetchMock).not.toHaveBeenCalled();
    expect(after.result.current).toBeUndefined();
  });
});
