/**
 * One shared ticking clock for "elapsed" texts: a single interval for the whole page,
 * running only while something shows elapsed time, so 50 worker cards do not start 50
 * timers and only the elapsed labels re-render on each tick.
 */
import { useSyncExternalStore } from "react";

const TICK_MS = 500;
const listeners = new Set<() => void>();
let now = Date.now();
let timer: ReturnType<typeof setInterval> | null = null;

function subscribe(fn: () => void): () => void {
  listeners.add(fn);
  if (timer === null) {
    now = Date.now();
    timer = setInterval(() => {
      now = Date.now();
      listeners.forEach((l) => l());
    }, TICK_MS);
  }
  return () => {
    listeners.delete(fn);
    if (listeners.size === 0 && timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  };
}

/** Milliseconds since the epoch, updated twice a second while in use. */
export function useNow(): number {
  return useSyncExternalStore(subscribe, () => now);
}
