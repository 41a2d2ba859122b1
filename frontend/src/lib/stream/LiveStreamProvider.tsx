/**
 * The provider of the tab's single `LiveStream`: it builds the stream (with the REST
 * fallback below), starts it once the user is allowed in and stops it on unmount. Read it
 * with the hooks in useLiveStream.ts.
 */
import { useEffect, useState, type ReactNode } from "react";

import { api, notifyUnauthorized } from "../api";
import { LiveStream, type LiveStreamOptions, type PollResult } from "./liveStream";
import { StreamContext } from "./useLiveStream";

/** The REST fallback used while SSE is unavailable: the focused run and system health. */
async function restPoll(focus: string | null, afterSeq: number): Promise<PollResult> {
  const result: PollResult = {};
  const system = api
    .system()
    .then((s) => (result.system = s))
    .catch(() => undefined);
  if (focus !== null) {
    const [frame, page] = await Promise.all([
      api.run(focus),
      // Only the newest events matter for the feeds; older ones stay in the store.
      api.events(focus, { after_seq: afterSeq, limit: 500 }),
    ]);
    result.frames = [frame];
    result.events = page.events;
  }
  await system;
  return result;
}

export function LiveStreamProvider({
  children,
  options,
  stream: given,
  enabled = true,
}: {
  children: ReactNode;
  options?: LiveStreamOptions;
  /** Connect only while true (e.g. not before the user has signed in). */
  enabled?: boolean;
  /** An already built stream (tests). */
  stream?: LiveStream;
}) {
  // A stream ended by the server for lost credentials counts as a 401: the auth layer asks
  // who we are again and shows the login page.
  const [stream] = useState(
    () =>
      given ?? new LiveStream({ poll: restPoll, onUnauthorized: notifyUnauthorized, ...options }),
  );
  useEffect(() => {
    if (!enabled) return;
    stream.start();
    return () => stream.stop();
  }, [stream, enabled]);
  return <StreamContext.Provider value={stream}>{children}</StreamContext.Provider>;
}
