/**
 * React access to the tab's single `LiveStream` (see liveStream.ts).
 *
 * `LiveStreamProvider` (its own file, so Fast Refresh can hot-swap it) owns the one
 * connection; components read from it with hooks: `useLiveStatus`, `useRunFrame`,
 * `useFocusRun`, `useActivity`, `useSystemHealth`.
 */
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useEffectEvent,
  useSyncExternalStore,
} from "react";

import type { ActivityEvent, EndNotice, GapNotice, RunFrame, SystemHealth } from "../types";
import type { LiveStatus, LiveStream } from "./liveStream";

export const StreamContext = createContext<LiveStream | null>(null);

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
  // The stream keeps the newest frame of every run; this subscription only decides when
  // React looks again, so a frame that arrives while a timer runs is shown when it fires.
  const subscribe = useCallback(
    (notify: () => void) => {
      if (runId === null) return () => undefined;
      let timer: ReturnType<typeof setTimeout> | null = null;
      let last = 0;
      const publish = () => {
        timer = null;
        last = Date.now();
        notify();
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
    },
    [stream, runId, minIntervalMs],
  );
  return useSyncExternalStore(subscribe, () => (runId === null ? undefined : stream.frame(runId)));
}

/** Subscribe to live activity, gaps and run ends; handlers may change between renders. */
export function useActivity(handlers: {
  onActivity?: (event: ActivityEvent) => void;
  onGap?: (gap: GapNotice) => void;
  onEnd?: (end: EndNotice) => void;
  onFrame?: (frame: RunFrame) => void;
}): void {
  const stream = useLiveStreamInstance();
  // Effect events see the latest handlers without resubscribing when they change.
  const onActivity = useEffectEvent((e: ActivityEvent) => handlers.onActivity?.(e));
  const onGap = useEffectEvent((g: GapNotice) => handlers.onGap?.(g));
  const onEnd = useEffectEvent((e: EndNotice) => handlers.onEnd?.(e));
  const onFrame = useEffectEvent((f: RunFrame) => handlers.onFrame?.(f));
  useEffect(() => {
    const offs = [
      stream.onActivity((e) => onActivity(e)),
      stream.onGap((g) => onGap(g)),
      stream.onEnd((e) => onEnd(e)),
      stream.onFrame((f) => onFrame(f)),
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
