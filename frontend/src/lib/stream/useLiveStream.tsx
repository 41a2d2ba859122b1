/**
 * React access to the tab's single `LiveStream` (see liveStream.ts).
 *
 * `LiveStreamProvider` owns the one connection; components read from it with hooks:
 * `useLiveStatus`, `useRunFrame`, `useFocusRun`, `useActivity`, `useSystemHealth`.
 */
import { createContext, useContext, useEffect, useRef, useState, useSyncExternalStore, type ReactNode } from "react";

import { api, notifyUnauthorized } from "../api";
import type { ActivityEvent, EndNotice, GapNotice, RunFrame, SystemHealth } from "../types";
import { LiveStream, type LiveStatus, type LiveStreamOptions, type PollResult } from "./liveStream";

const StreamContext = createContext<LiveStream | null>(null);

/** The REST fallback used while SSE is unavailable: the focused run and system health. */
export async function restPoll(focus: string | null, afterSeq: number): Promise<PollResult> {
  const result: PollResult = {};
  const system = api.system().then((s) => (result.system = s)).catch(() => undefined);
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
    () => given ?? new LiveStream({ poll: restPoll, onUnauthorized: notifyUnauthorized, ...options }),
  );
  useEffect(() => {
    if (!enabled) return;
    stream.start();
    return () => stream.stop();
  }, [stream, enabled]);
  return <StreamContext.Provider value={stream}>{children}</StreamContext.Provider>;
}

export function useLiveStreamInstance(): LiveStream {
  const stream = useContext(StreamContext);
  if (!stream) throw new Error("useLiveStream* hooks need a <LiveStreamProvider> above them");
  return stream;
}

/** "connecting" | "live" | "reconnecting" | "offline" | "unauthorized" (signed out by the server). */
export function useLiveStatus(): LiveStatus {
  const stream = useLiveStreamInstance();
  return useSyncExternalStore(
    (fn) => stream.onStatus(fn),
    () => stream.status,
  );
}

/** Focus the tab's stream on `runId` while the calling component is mounted. */
export function useFocusRun(runId: string | null): void {
  const stream = useLiveStreamInstance();
  useEffect(() => {
    stream.setFocus(runId);
    return () => {
      if (stream.focus === runId) stream.setFocus(null);
    };
  }, [stream, runId]);
}

/**
 * The newest state frame of `runId` the stream has (undefined until the first one).
 * With `minIntervalMs` the component re-renders at most that often (always with the
 * newest frame): a page of 50 worker cards does not need every frame the server sends.
 */
export function useRunFrame(runId: string | null, minIntervalMs = 0): RunFrame | undefined {
  const stream = useLiveStreamInstance();
  const [frame, setFrame] = useState<RunFrame | undefined>(() => (runId === null ? undefined : stream.frame(runId)));
  useEffect(() => {
    if (runId === null) {
      setFrame(undefined);
      return;
    }
    setFrame(stream.frame(runId));
    let timer: ReturnType<typeof setTimeout> | null = null;
    let last = 0;
    const publish = () => {
      timer = null;
      last = Date.now();
      setFrame(stream.frame(runId));
    };
    const off = stream.onFrame((f) => {
      if (f.run_id !== runId || timer !== null) return;
      const wait = last + minIntervalMs - Date.now();
      if (wait <= 0) publish();
      else timer = setTimeout(publish, wait);
    });
    return () => {
      off();
      if (timer !== null) clearTimeout(timer);
    };
  }, [stream, runId, minIntervalMs]);
  return frame;
}

/** Subscribe to live activity, gaps and run ends; handlers may change between renders. */
export function useActivity(handlers: {
  onActivity?: (event: ActivityEvent) => void;
  onGap?: (gap: GapNotice) => void;
  onEnd?: (end: EndNotice) => void;
  onFrame?: (frame: RunFrame) => void;
}): void {
  const stream = useLiveStreamInstance();
  const ref = useRef(handlers);
  ref.current = handlers;
  useEffect(() => {
    const offs = [
      stream.onActivity((e) => ref.current.onActivity?.(e)),
      stream.onGap((g) => ref.current.onGap?.(g)),
      stream.onEnd((e) => ref.current.onEnd?.(e)),
      stream.onFrame((f) => ref.current.onFrame?.(f)),
    ];
    return () => offs.forEach((off) => off());
  }, [stream]);
}

/** The newest `system` figures from the stream (null until the first). */
export function useSystemHealth(): SystemHealth | null {
  const stream = useLiveStreamInstance();
  return useSyncExternalStore(
    (fn) => stream.onSystem(fn),
    () => stream.latestSystem(),
  );
}

export type { LiveStatus };
