/**
 * The feeds of the run on screen: a FeedStore filled by the tab's live stream (focused on
 * this run) and, once, seeded with the newest stored events so the page is not empty when
 * opened mid-run or after the run ended.
 */
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";

import { api } from "../lib/api";
import { FeedStore } from "../lib/feed/feedStore";
import { useActivity } from "../lib/stream/useLiveStream";

/** How many stored events to show when the page opens. */
export const SEED_EVENTS = 1000;

export function useRunFeed(runId: string, lastSeq: number | undefined): FeedStore {
  // A fresh store per run: switching runs never mixes their feeds. Replaced during render
  // (React re-renders at once, before anything is committed) rather than in a memo, which
  // React may drop and rebuild, losing the feed.
  const [store, setStore] = useState(() => ({ runId, feed: new FeedStore() }));
  if (store.runId !== runId) setStore({ runId, feed: new FeedStore() });
  const feed = store.feed;
  const client = useQueryClient();
  const seeded = useRef<string | null>(null);

  useEffect(() => () => feed.dispose(), [feed]);

  useActivity({
    onActivity: (event) => {
      if (event.run_id === runId) feed.push(event);
    },
    onGap: (gap) => {
      if (gap.run_id === runId) feed.pushGap(gap);
    },
    onEnd: (end) => {
      if (end.run_id !== runId) return;
      // The run ended: its stored final frame (and the runs lists) are now current.
      void client.invalidateQueries({ queryKey: ["run", runId] });
      void client.invalidateQueries({ queryKey: ["runs"] });
      void client.invalidateQueries({ queryKey: ["overview"] });
    },
  });

  useEffect(() => {
    if (lastSeq === undefined || seeded.current === runId) return;
    seeded.current = runId;
    const controller = new AbortController();
    const after = Math.max(0, lastSeq - SEED_EVENTS);
    api
      .events(runId, { after_seq: after, limit: SEED_EVENTS }, controller.signal)
      .then((page) => feed.seed(page.events))
      .catch(() => {
        seeded.current = null; // try again with the next frame
      });
    return () => controller.abort();
  }, [feed, runId, lastSeq]);

  return feed;
}
